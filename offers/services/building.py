"""Building an offer: its header, options, lines and packages, while it is a
draft (or back to draft after a change)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Contact, TimelineEntry
from catalog import pricing, tax
from catalog.models import PackageVersion, Product
from catalog.pricing import HUNDRED, round_money
from core import services as core_services
from core import state
from core.exceptions import ApplicationError
from core.i18n import Later
from offers.models import Offer, OfferEvent, OfferLine, OfferOption

Status = Offer.Status


def _editable(offer: Offer, actor) -> Offer:
    """Lock an offer for a change; a change withdraws an approval or a request."""
    offer = state.lock(offer)
    if not offer.is_editable:
        raise ApplicationError(
            _("A %(status)s offer cannot be changed; make a new revision instead.")
            % {"status": offer.get_status_display()}
        )
    if offer.status in (Status.APPROVED, Status.PENDING_APPROVAL, Status.REJECTED):
        state.transition(
            offer,
            Status.DRAFT,
            actor=actor,
            comment=Later(gettext_noop("Changed: approval withdrawn")),
        )
        offer.approved_by = None
        offer.approved_at = None
        offer.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    if actor is not None and actor.pk not in offer.changed_by_ids:
        offer.changed_by_ids = [*offer.changed_by_ids, actor.pk]
        offer.save(update_fields=["changed_by_ids", "updated_at"])
    return offer


# ten years: every page plans a term's invoices, one per billing period
MAX_DURATION_MONTHS = 120


def _check_header(
    *, valid_until: date, duration_months: int, contact: Contact, account: Account
):
    if valid_until < timezone.localdate():
        raise ApplicationError(
            _("The validity date lies in the past."), extra={"field": "valid_until"}
        )
    if duration_months < 1:
        raise ApplicationError(
            _("The duration must be at least one month."),
            extra={"field": "duration_months"},
        )
    if duration_months > MAX_DURATION_MONTHS:
        raise ApplicationError(
            _("A term lasts at most %(n)d months.") % {"n": MAX_DURATION_MONTHS},
            extra={"field": "duration_months"},
        )
    if contact.account_id != account.pk:
        raise ApplicationError(
            _("Choose a contact of this account."), extra={"field": "contact"}
        )


@transaction.atomic
def offer_create(
    *,
    account: Account,
    contact: Contact,
    actor,
    title: str,
    valid_until: date | None = None,
    language: str | None = None,
    start_on: date | None = None,
    duration_months: int = 12,
    billing_period: str = "yearly",
    auto_renew: bool = True,
    notice_days: int = 90,
    option_names=("Standard",),
) -> Offer:
    """Start a draft offer for an account's contact with empty options."""
    today = timezone.localdate()
    valid_until = valid_until or today + timedelta(days=30)
    _check_header(
        valid_until=valid_until,
        duration_months=duration_months,
        contact=contact,
        account=account,
    )
    offer = Offer.objects.create(
        number=core_services.series_next(series="OF", year=today.year),
        account=account,
        contact=contact,
        title=title.strip() or _("Offer"),
        language=language or account.language,
        currency=account.currency,
        valid_until=valid_until,
        start_on=start_on or (today.replace(day=1) + timedelta(days=32)).replace(day=1),
        duration_months=duration_months,
        billing_period=billing_period,
        auto_renew=auto_renew,
        notice_days=notice_days,
        created_by=actor,
    )
    OfferEvent.objects.create(offer=offer, to_status=Status.DRAFT, actor=actor)
    for position, name in enumerate(option_names, start=1):
        OfferOption.objects.create(offer=offer, name=name, position=position)
    TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(
            gettext_noop("Offer %(number)s started: %(title)s"),
            number=offer.number,
            title=offer.title,
        ),
        actor=actor,
    )
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, actor, **fields) -> Offer:
    """Change the header and terms of an editable offer."""
    allowed = {
        "title",
        "contact",
        "valid_until",
        "language",
        "start_on",
        "duration_months",
        "billing_period",
        "auto_renew",
        "notice_days",
    }
    offer = _editable(offer, actor)
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %s") % ", ".join(sorted(unknown))
        )
    for name, value in fields.items():
        setattr(offer, name, value)
    _check_header(
        valid_until=offer.valid_until,
        duration_months=offer.duration_months,
        contact=offer.contact,
        account=offer.account,
    )
    offer.save()
    return offer


@transaction.atomic
def option_add(*, offer: Offer, actor, name: str) -> OfferOption:
    """Add another alternative to the offer."""
    offer = _editable(offer, actor)
    if not name.strip():
        raise ApplicationError(_("An option needs a name."), extra={"field": "name"})
    position = (offer.options.aggregate(p=Max("position"))["p"] or 0) + 1
    return OfferOption.objects.create(offer=offer, name=name.strip(), position=position)


@transaction.atomic
def option_delete(*, option: OfferOption, actor) -> None:
    offer = _editable(option.offer, actor)
    if offer.options.count() == 1:
        raise ApplicationError(_("An offer keeps at least one option."))
    option.delete()


def _price(product: Product, currency: str) -> Decimal:
    price = (
        product.prices.filter(currency=currency)
        .values_list("list_price", flat=True)
        .first()
    )
    if price is None:
        raise ApplicationError(
            _("%(product)s has no list price in %(currency)s.")
            % {"product": product, "currency": currency}
        )
    return price


def _check_line(quantity, unit_price, discount_percent):
    if quantity is None or quantity <= 0:
        raise ApplicationError(
            _("The quantity must be greater than zero."), extra={"field": "quantity"}
        )
    if unit_price is not None and unit_price < 0:
        raise ApplicationError(
            _("The price cannot be negative."), extra={"field": "unit_price"}
        )
    if discount_percent is None or not (0 <= discount_percent <= 100):
        raise ApplicationError(
            _("The discount must be between 0 and 100 %."),
            extra={"field": "discount_percent"},
        )


@transaction.atomic
def line_add(
    *,
    option: OfferOption,
    actor,
    product: Product,
    quantity: Decimal,
    discount_percent: Decimal = Decimal("0"),
    unit_price: Decimal | None = None,
    description: str = "",
    package_version: PackageVersion | None = None,
    price_reason: str = "",
) -> OfferLine:
    """Add a product at its list price in the offer's currency (or at a given price,
    with the reason for it)."""
    offer = _editable(option.offer, actor)
    _check_line(quantity, unit_price, discount_percent)
    list_price = _price(product, offer.currency)
    unit_price = list_price if unit_price is None else unit_price
    price_reason = _check_price_reason(unit_price, list_price, price_reason)
    position = (option.lines.aggregate(p=Max("position"))["p"] or 0) + 1
    return OfferLine.objects.create(
        option=option,
        product=product,
        package_version=package_version,
        description=(description or product.name)[:250],
        quantity=quantity,
        unit_price=unit_price,
        list_price=list_price,
        price_reason=price_reason,
        discount_percent=discount_percent,
        price_unit=pricing.unit_of(product),
        # at home the product's rate; 0 for reverse charge and export (the tax rule)
        tax_rate=tax.line_rate(product.tax_rate, tax.treatment_of(offer.account)),
        position=position,
    )


def _check_price_reason(unit_price, list_price, reason: str) -> str:
    """A price off the list needs a reason (it is a discount, or a surcharge);
    at the list price none is kept."""
    reason = (reason or "").strip()
    if list_price is None or unit_price == list_price:
        return ""
    if not reason:
        raise ApplicationError(
            _(
                "The list price is %(list)s: say why this line costs %(price)s "
                "instead. A lower price counts as a discount for the approval."
            )
            % {"list": list_price, "price": unit_price},
            extra={"field": "price_reason"},
        )
    return reason[:200]


@transaction.atomic
def package_add(
    *, option: OfferOption, actor, version: PackageVersion, extra_discount=Decimal("0")
) -> list[OfferLine]:
    """Add every product of a package version, priced so the package price holds."""
    offer = _editable(option.offer, actor)
    items = list(version.items.select_related("product"))
    list_total = sum(
        (round_money(i.quantity * _price(i.product, offer.currency)) for i in items),
        Decimal(0),
    )
    if version.price_mode == PackageVersion.PriceMode.DISCOUNT:
        discount = version.discount_percent
    elif list_total:
        discount = (
            (list_total - version.package_price) / list_total * HUNDRED
        ).quantize(Decimal("0.01"))
    else:
        discount = Decimal("0")
    discount = min(max(discount + extra_discount, Decimal(0)), HUNDRED)
    position = option.lines.aggregate(p=Max("position"))["p"] or 0
    how = tax.treatment_of(offer.account)
    lines = []
    for i, item in enumerate(items, start=1):
        lines.append(
            OfferLine.objects.create(
                option=option,
                product=item.product,
                package_version=version,
                description=f"{item.product.name} ({version.package.name})",
                quantity=item.quantity,
                unit_price=_price(item.product, offer.currency),
                list_price=_price(item.product, offer.currency),
                discount_percent=discount,
                price_unit=pricing.unit_of(item.product),
                tax_rate=tax.line_rate(item.product.tax_rate, how),
                position=position + i,
            )
        )
    return lines


@transaction.atomic
def line_update(*, line: OfferLine, actor, **fields) -> OfferLine:
    """Change quantity, unit price (with the reason for a price off the list) or
    discount of a line."""
    _editable(line.option.offer, actor)
    line = OfferLine.objects.select_for_update().get(pk=line.pk)
    for name in (
        "quantity", "unit_price", "discount_percent", "description", "price_reason"
    ):  # fmt: skip
        if name in fields:
            setattr(line, name, fields[name])
    _check_line(line.quantity, line.unit_price, line.discount_percent)
    line.price_reason = _check_price_reason(
        line.unit_price, line.list_price, line.price_reason
    )
    line.save()
    return line


@transaction.atomic
def line_delete(*, line: OfferLine, actor) -> None:
    _editable(line.option.offer, actor)
    line.delete()
