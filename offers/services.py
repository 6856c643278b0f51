"""Every write of the offers app: building, approving, sending and answering offers."""

import hashlib
import re
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Contact, TimelineEntry
from accounts.services import activity, todos
from catalog import pricing
from catalog.models import PackageVersion, Product
from catalog.pricing import HUNDRED, round_money
from catalog.services import package_version_lock
from kam.core import services as core_services
from kam.core import state
from kam.core.dates import show_date
from kam.core.exceptions import ApplicationError
from kam.core.i18n import Later
from kam.core.links import absolute_url
from kam.core.pdf import html_to_pdf
from kam.core.roles import Role
from offers import placeholders
from offers.models import (
    ApprovalRule,
    InboundMail,
    Offer,
    OfferEvent,
    OfferLine,
    OfferOption,
    OfferTemplate,
)
from offers.signals import offer_accepted

Status = Offer.Status
TOKEN_SALT = "kam.offers.accept"  # noqa: S105 (a signing salt)


# --- state ----------------------------------------------------------------


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


# --- building -------------------------------------------------------------


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
        tax_rate=product.tax_rate,
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
                tax_rate=item.product.tax_rate,
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


# --- approval -------------------------------------------------------------


def approval_reasons(offer: Offer, *, rules=None, rates=None) -> list[str]:
    """Which active approval rules the offer breaks (options and lines prefetched).

    Pass `rules` and `rates` when checking many offers, to load them once.
    """
    from catalog.selectors import exchange_rates, to_base

    rules = (
        list(ApprovalRule.objects.filter(is_active=True)) if rules is None else rules
    )
    rates = exchange_rates() if rates is None else rates
    reasons = []
    for option in offer.options.all():
        totals = option.totals()
        for rule in rules:
            if rule.kind == ApprovalRule.Kind.LINE_DISCOUNT:
                # measured against the list price: a lower unit price is a discount
                for line in option.lines.all():
                    if line.effective_discount > rule.threshold:
                        reasons.append(
                            _(
                                "%(option)s: %(line)s at %(price)s instead of the "
                                "list price %(list)s, an effective discount of "
                                "%(d)s %%, is above %(t)s %%."
                            )
                            % {
                                "option": option,
                                "line": line.description,
                                "price": line.unit_price,
                                "list": line.reference_price,
                                "d": line.effective_discount,
                                "t": rule.threshold,
                            }
                        )
            elif rule.kind == ApprovalRule.Kind.OVERALL_DISCOUNT:
                if totals["discount_percent"] > rule.threshold:
                    reasons.append(
                        _("%(option)s: overall discount %(d)s %% is above %(t)s %%.")
                        % {
                            "option": option,
                            "d": totals["discount_percent"],
                            "t": rule.threshold,
                        }
                    )
            elif rule.kind == ApprovalRule.Kind.TOTAL:
                net = to_base(totals["net"], offer.currency, rates)
                if net > rule.threshold:
                    reasons.append(
                        _("%(option)s: a net total of %(n)s EUR is above %(t)s EUR.")
                        % {"option": option, "n": net, "t": rule.threshold}
                    )
    return reasons


def _with_lines(offer: Offer) -> Offer:
    return (
        Offer.objects.select_related(
            "account", "account__owner", "contact", "created_by"
        )
        .prefetch_related("options__lines__product")
        .get(pk=offer.pk)
    )


def _check_complete(offer: Offer) -> None:
    if not offer.options.all():
        raise ApplicationError(_("The offer has no options."))
    empty = [o.name for o in offer.options.all() if not o.lines.all()]
    if empty:
        raise ApplicationError(_("These options have no lines: %s") % ", ".join(empty))
    if offer.valid_until < timezone.localdate():
        raise ApplicationError(_("The validity date lies in the past."))


def approval_excluded(offer: Offer) -> dict[int, str]:
    """Who may not approve the offer, and why: who asked, the account's owner, the
    offer's creator, and whoever changed it since its last approval."""
    why = {}
    for pk in offer.changed_by_ids:
        why[pk] = _("You changed this offer since its last approval.")
    why[offer.created_by_id] = _("You made this offer.")
    why[offer.account.owner_id] = _("The account is yours.")
    if offer.approval_requested_by_id:
        why[offer.approval_requested_by_id] = _("You asked for this approval.")
    return why


def administrators() -> list:
    from kam.core.models import User

    return list(
        User.objects.filter(is_active=True, groups__name=Role.ADMINISTRATOR)
        .distinct()
        .order_by("pk")
    )


def approval_route(offer: Offer, *, admins=None) -> tuple[list, bool]:
    """Who decides the offer: the Sales Manager of the account's team, or, when
    they may not (they asked, or changed it) or there is none, the administrators
    one level up; and whether it went up. Pass `admins` when routing many."""
    excluded = approval_excluded(offer)
    team = offer.account.owner.team
    manager = team.manager if team and team.manager_id else None
    if manager and manager.is_active and manager.pk not in excluded:
        return [manager], False
    admins = administrators() if admins is None else admins
    return [a for a in admins if a.pk not in excluded], True


def _approvers(offer: Offer):
    return approval_route(offer)[0]


@transaction.atomic
def offer_request_approval(*, offer: Offer, actor) -> Offer:
    """Ask the team's Sales Manager to approve the special conditions."""
    state.lock(offer)  # the row; then the offer with its lines, once
    offer = _with_lines(offer)
    if offer.status == Status.PENDING_APPROVAL:
        return offer
    _check_complete(offer)
    reasons = approval_reasons(offer)
    if not reasons:
        raise ApplicationError(_("This offer needs no approval; you can send it."))
    state.transition(offer, Status.PENDING_APPROVAL, actor=actor)
    offer.needs_approval = True
    offer.approval_reasons = reasons
    offer.approval_requested_by = actor
    offer.save(
        update_fields=[
            "status",
            "needs_approval",
            "approval_reasons",
            "approval_requested_by",
            "updated_at",
        ]
    )
    url = reverse("offers:detail", args=[offer.pk])
    for manager in _approvers(offer):
        core_services.notification_create(
            user=manager,
            title=_("Approval requested: %(offer)s") % {"offer": offer.label},
            body=offer.account.name,
            url=url,
            dedupe_key=f"approval:{offer.pk}:{offer.updated_at:%Y%m%d%H%M%S%f}",
        )
        if manager.email:
            core_services.message_queue(
                to=[manager.email],
                subject=_("Approval requested: %(offer)s for %(account)s")
                % {"offer": offer.label, "account": offer.account.name},
                body_text="\n".join(
                    [
                        str(_("%(kam)s asks for your approval:") % {"kam": actor}),
                        "",
                        *reasons,
                        "",
                        absolute_url(url),
                    ]
                ),
                related=offer,
            )
    return offer


def _check_approver(offer: Offer, actor) -> None:
    why = approval_excluded(offer).get(actor.pk)
    if why:
        raise ApplicationError(
            _("%(why)s Someone else decides: %(who)s.")
            % {
                "why": why,
                "who": ", ".join(str(u) for u in _approvers(offer))
                or _("an administrator"),
            }
        )
    is_admin = actor.has_role(Role.ADMINISTRATOR)
    team = offer.account.owner.team
    if not is_admin and not (
        actor.has_role(Role.SALES_MANAGER) and team and team.manager_id == actor.pk
    ):
        raise ApplicationError(
            _("Only the Sales Manager of the account's team can decide.")
        )


@transaction.atomic
def offer_decide(*, offer: Offer, actor, approve: bool, comment: str = "") -> Offer:
    """Approve or reject a pending offer; the KAM is told either way."""
    offer = state.lock(offer)
    target = Status.APPROVED if approve else Status.REJECTED
    if offer.status == target:
        return offer
    _check_approver(offer, actor)
    if not approve and not comment.strip():
        raise ApplicationError(
            _("Say why the offer is rejected."), extra={"field": "comment"}
        )
    state.transition(offer, target, actor=actor, comment=comment)
    offer.approved_by = actor if approve else None
    offer.approved_at = timezone.now() if approve else None
    offer.approval_comment = comment
    if approve:  # changes from here on count against the next approval
        offer.changed_by_ids = []
    offer.save(
        update_fields=[
            "status",
            "approved_by",
            "approved_at",
            "approval_comment",
            "changed_by_ids",
            "updated_at",
        ]
    )
    title = (_("Approved: %(offer)s") if approve else _("Rejected: %(offer)s")) % {
        "offer": offer.label
    }
    core_services.notification_create(
        user=offer.created_by,
        title=title,
        body=comment,
        url=reverse("offers:detail", args=[offer.pk]),
    )
    return offer


# --- sending --------------------------------------------------------------


def acceptance_token(offer: Offer) -> str:
    return signing.dumps(
        {"o": offer.pk, "n": offer.number, "r": offer.revision}, salt=TOKEN_SALT
    )


def offer_for_token(token: str) -> Offer | None:
    """The offer behind a signed acceptance link, or None if it was tampered with."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    return (
        Offer.objects.filter(
            pk=data.get("o"), number=data.get("n"), revision=data.get("r")
        )
        .select_related("account", "account__owner", "contact")
        .prefetch_related("options__lines__product")
        .first()
    )


def _values(offer: Offer) -> dict:
    kam = offer.account.owner
    with translation.override(offer.language):  # dates as the customer reads them
        valid_until, start_date = (
            show_date(offer.valid_until),
            show_date(offer.start_on),
        )
    return {
        "customer_name": offer.account.legal_name or offer.account.name,
        "contact_name": str(offer.contact),
        "offer_number": offer.label,
        "offer_title": offer.title,
        "valid_until": valid_until,
        "kam_name": str(kam),
        "kam_email": kam.email,
        "kam_phone": kam.phone,
        "acceptance_link": absolute_url(
            reverse("acceptance:accept", args=[acceptance_token(offer)])
        ),
        "start_date": start_date,
        "duration_months": str(offer.duration_months),
    }


def offer_template(kind: str, language: str) -> OfferTemplate:
    template = OfferTemplate.objects.filter(kind=kind, language=language).first()
    if template is None:
        template = OfferTemplate.objects.filter(kind=kind, language="en").first()
    if template is None:
        raise ApplicationError(_("No %(kind)s template exists yet.") % {"kind": kind})
    return template


def comparison_rows(options) -> list[tuple[str, list]]:
    """Options side by side: one row per item, one cell per option (None: not in it).

    Items are matched by their description, in the order they first appear; an item
    listed twice in one option gets a second row.
    """
    rows: list[tuple[str, list]] = []
    index: dict[tuple[str, int], int] = {}
    for column, option in enumerate(options):
        seen: dict[str, int] = {}
        for line in option.lines.all():
            occurrence = seen.get(line.description, 0)
            seen[line.description] = occurrence + 1
            key = (line.description, occurrence)
            if key not in index:
                index[key] = len(rows)
                rows.append((line.description, [None] * len(options)))
            rows[index[key]][1][column] = line
    return rows


def offer_pdf(offer: Offer) -> bytes:
    """Render the offer document (options side by side, terms, page numbers)."""
    offer = _with_lines(offer)
    template = offer_template(OfferTemplate.Kind.DOCUMENT, offer.language)
    values = _values(offer)
    options = [(o, o.totals()) for o in offer.options.all()]
    rows = comparison_rows([o for o, _t in options])
    with translation.override(offer.language):
        html = render_to_string(
            "pdf/offers/offer.html",
            {
                "offer": offer,
                "options": options,
                "rows": rows,
                "heading": placeholders.render_text(template.subject, values),
                "intro": placeholders.render_html(template.body, values),
                "closing": placeholders.render_html(template.closing, values),
                "values": values,
            },
        )
    return html_to_pdf(html)


def _check_sendable(offer: Offer) -> None:
    _check_complete(offer)
    contact = offer.contact
    if contact.do_not_contact:
        raise ApplicationError(
            _("%(name)s asked not to be contacted.") % {"name": contact}
        )
    if not contact.email:
        raise ApplicationError(_("%(name)s has no email address.") % {"name": contact})
    reasons = approval_reasons(offer)
    if reasons and offer.status != Status.APPROVED:
        raise ApplicationError(
            _("This offer needs a Sales Manager's approval before it can be sent: %s")
            % " ".join(reasons)
        )


def _fingerprint(offer: Offer) -> tuple:
    """What the PDF shows and the sending depends on: if it is the same under the
    lock as when the PDF was rendered, the PDF is the offer's."""
    return (
        offer.status,
        offer.approved_at,
        offer.updated_at,
        offer.contact_id,
        offer.contact.email,
        [
            (option.pk, option.name, line.pk, line.quantity, line.unit_price,
             line.discount_percent, line.description)
            for option in offer.options.all()
            for line in option.lines.all()
        ],
    )  # fmt: skip


def offer_send(*, offer: Offer, actor, follow_up_days=(3,)) -> Offer:
    """Render, file and email the offer with its PDF and acceptance link (once).

    The PDF (about a second of WeasyPrint) is rendered before the offer's row is
    locked; under the lock the offer must still be what was rendered."""
    seen = _with_lines(offer)
    if seen.status == Status.SENT:
        return seen  # a double click sends once
    _check_sendable(seen)
    pdf = offer_pdf(seen)
    return _offer_sent(
        offer=seen, actor=actor, pdf=pdf, seen=_fingerprint(seen),
        follow_up_days=follow_up_days,
    )  # fmt: skip


@transaction.atomic
def _offer_sent(*, offer: Offer, actor, pdf: bytes, seen: tuple, follow_up_days):
    state.lock(offer)
    offer = _with_lines(offer)
    if offer.status == Status.SENT:
        return offer  # sent meanwhile, by the other click
    if _fingerprint(offer) != seen:
        raise ApplicationError(
            _("The offer changed while it was being sent; please send it again.")
        )
    _check_sendable(offer)
    contact = offer.contact
    filename = f"{offer.number}-{offer.revision}.pdf"
    document = activity.document_upload(
        account=offer.account,
        actor=actor,
        uploaded_file=SimpleUploadedFile(filename, pdf, "application/pdf"),
        title=_("Offer %(offer)s") % {"offer": offer.label},
    )
    values = _values(offer)
    template = offer_template(OfferTemplate.Kind.EMAIL, offer.language)
    message = core_services.message_queue(
        to=[contact.email],
        subject=placeholders.render_text(template.subject, values),
        body_text=placeholders.render_text(template.body, values),
        reply_to=[actor.email] if actor.email else [],
        attachments=[(filename, pdf, "application/pdf")],
        related=offer,
    )
    state.transition(offer, Status.SENT, actor=actor)
    offer.sent_at = timezone.now()
    offer.document = document
    offer.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    offer.message = message
    offer.delivery = Offer.Delivery.QUEUED
    offer.save()
    for version_id in {
        line.package_version_id
        for option in offer.options.all()
        for line in option.lines.all()
    } - {None}:
        package_version_lock(version=PackageVersion(pk=version_id))
    TimelineEntry.objects.create(
        account=offer.account,
        kind=TimelineEntry.Kind.EMAIL,
        title=Later(
            gettext_noop("Offer %(offer)s sent to %(name)s"),
            offer=offer.label,
            name=str(contact),
        ),
        summary=offer.title,
        actor=actor,
        message=message,
    )
    for days in follow_up_days:
        todos.task_create(
            title=_("Follow up on offer %(offer)s") % {"offer": offer.label},
            due_at=timezone.now() + timedelta(days=days),
            assignee=offer.account.owner,
            account=offer.account,
            actor=actor,
            related=offer,
        )
    return offer


# --- answers --------------------------------------------------------------


def _notify_owner(offer: Offer, title: str, body: str = "") -> None:
    core_services.notification_create(
        user=offer.account.owner,
        title=title,
        body=body,
        url=reverse("offers:detail", args=[offer.pk]),
    )


@transaction.atomic
def offer_accept(
    *,
    offer: Offer,
    option: OfferOption,
    name: str,
    title: str = "",
    ip: str | None = None,
    user_agent: str = "",
    channel: str = "web",
    actor=None,
) -> Offer:
    """Record the customer's acceptance of exactly one option (idempotent)."""
    offer = state.lock(offer)
    if offer.status == Status.ACCEPTED:
        if offer.accepted_option_id == option.pk:
            return offer
        raise ApplicationError(_("This offer was accepted already."))
    if option.offer_id != offer.pk:
        raise ApplicationError(_("Choose one of this offer's options."))
    if offer.status != Status.SENT:
        raise ApplicationError(_("This offer can no longer be accepted."))
    if offer.valid_until < timezone.localdate():
        raise ApplicationError(
            _("This offer expired on %(date)s.") % {"date": offer.valid_until}
        )
    if not name.strip():
        raise ApplicationError(_("Please give your name."), extra={"field": "name"})
    state.transition(
        offer,
        Status.ACCEPTED,
        actor=actor,
        comment=Later(gettext_noop("Option: %(o)s"), o=option.name),
    )
    offer.accepted_option = option
    offer.answered_at = timezone.now()
    offer.answer_channel = channel
    offer.signer_name = name.strip()
    offer.signer_title = title.strip()
    offer.signer_ip = ip
    offer.signer_user_agent = (user_agent or "")[:500]
    offer.save()
    TimelineEntry.objects.create(
        account=offer.account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(
            gettext_noop("Offer %(offer)s accepted: %(option)s"),
            offer=offer.label,
            option=option.name,
        ),
        summary=Later(
            gettext_noop("by %(name)s (%(channel)s)"),
            name=offer.signer_name,
            channel=channel,
        ),
        actor=actor,
    )
    _notify_owner(
        offer,
        _("Accepted: %(offer)s, %(option)s")
        % {"offer": offer.label, "option": option.name},
        offer.account.name,
    )
    # the contract is made in this same transaction (contracts app, receivers.py)
    offer_accepted.send(sender=Offer, offer=offer, actor=actor)
    return offer


@transaction.atomic
def offer_decline(
    *, offer: Offer, reason: str, name: str = "", ip=None, user_agent="", actor=None
) -> Offer:
    """Record that the customer declined, with the reason (idempotent)."""
    offer = state.lock(offer)
    if offer.status == Status.DECLINED:
        return offer
    if offer.status != Status.SENT:
        raise ApplicationError(_("This offer can no longer be declined."))
    if not reason.strip():
        raise ApplicationError(_("Please tell us why."), extra={"field": "reason"})
    state.transition(offer, Status.DECLINED, actor=actor, comment=reason)
    offer.decline_reason = reason.strip()
    offer.answered_at = timezone.now()
    offer.signer_name = name.strip()
    offer.signer_ip = ip
    offer.signer_user_agent = (user_agent or "")[:500]
    offer.save()
    TimelineEntry.objects.create(
        account=offer.account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(gettext_noop("Offer %(offer)s declined"), offer=offer.label),
        summary=reason[:300],
        actor=actor,
    )
    _notify_owner(
        offer, _("Declined: %(offer)s") % {"offer": offer.label}, reason[:200]
    )
    return offer


@transaction.atomic
def offer_revise(*, offer: Offer, actor) -> Offer:
    """Copy a sent offer into a new draft revision; the sent one is superseded."""
    offer = state.lock(offer)
    if hasattr(offer, "next_revision"):
        return offer.next_revision
    if offer.status != Status.SENT:
        raise ApplicationError(
            _("Only a sent offer gets a new revision; edit this one directly.")
        )
    state.transition(
        offer,
        Status.SUPERSEDED,
        actor=actor,
        comment=Later(gettext_noop("New revision")),
    )
    offer.save(update_fields=["status", "updated_at"])
    new = Offer.objects.get(pk=offer.pk)
    new.pk = None
    new.revision = offer.revision + 1
    new.previous = offer
    new.status = Status.DRAFT
    for field in (
        "approved_by",
        "approved_at",
        "sent_at",
        "document",
        "message",
        "accepted_option",
        "answered_at",
        "validity_reminder_sent_at",
    ):
        setattr(new, field, None)
    new.approval_comment = new.pdf_sha256 = new.delivery = ""
    new.needs_approval = False
    new.approval_reasons = []
    if new.valid_until < timezone.localdate():
        new.valid_until = timezone.localdate() + timedelta(days=30)
    new.created_by = actor
    new.save(force_insert=True)
    OfferEvent.objects.create(
        offer=new,
        to_status=Status.DRAFT,
        actor=actor,
        comment=Later(gettext_noop("Revision of %(o)s"), o=offer.label),
    )
    for option in offer.options.prefetch_related("lines"):
        lines = list(option.lines.all())
        option.pk = None
        option.offer = new
        option.save()
        for line in lines:
            line.pk = None
            line.option = option
            line.save()
    return new


def offers_expire(*, today: date | None = None) -> int:
    """Expire sent offers whose validity ended (nightly; idempotent)."""
    today = today or timezone.localdate()
    expired = 0
    for offer_id in Offer.objects.filter(
        status=Status.SENT, valid_until__lt=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            offer = state.lock(Offer(pk=offer_id))
            if offer.status != Status.SENT:
                continue
            state.transition(
                offer, Status.EXPIRED, comment=Later(gettext_noop("Validity ended"))
            )
            offer.save(update_fields=["status", "updated_at"])
            _notify_owner(offer, _("Expired: %(offer)s") % {"offer": offer.label})
            expired += 1
    return expired


def offer_validity_reminders(*, today: date | None = None) -> int:
    """Remind the KAM N days before an unanswered offer's validity ends (once)."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.KAM_OFFER_REMINDER_DAYS)
    count = 0
    for offer in Offer.objects.filter(
        status=Status.SENT,
        valid_until__gte=today,
        valid_until__lte=horizon,
        validity_reminder_sent_at__isnull=True,
    ).select_related("account"):
        with transaction.atomic():
            updated = Offer.objects.filter(
                pk=offer.pk, validity_reminder_sent_at__isnull=True
            ).update(validity_reminder_sent_at=timezone.now())
            if not updated:
                continue
            todos.task_create(
                title=_("Offer %(offer)s ends on %(date)s: call %(name)s")
                % {
                    "offer": offer.label,
                    "date": offer.valid_until,
                    "name": offer.contact,
                },
                due_at=timezone.now(),
                assignee=offer.account.owner,
                account=offer.account,
                actor=None,
                related=offer,
            )
            count += 1
    return count


# --- email tracking and replies (anymail webhooks) -------------------------

DELIVERY_ORDER = {
    "": 0,
    "queued": 1,
    "sent": 2,
    "delivered": 3,
    "opened": 4,
    "bounced": 5,
    "failed": 5,
}
EVENT_TO_DELIVERY = {
    "queued": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "opened": "opened",
    "clicked": "opened",
    "bounced": "bounced",
    "rejected": "bounced",
    "failed": "bounced",
}


@transaction.atomic
def tracking_apply(
    *, event_id: str, provider_message_id: str, event_type: str, occurred_at
) -> bool:
    """Apply a provider's tracking event to the offer it concerns, once per event id."""
    from django.db import IntegrityError

    from kam.core.models import OutboundMessage
    from offers.models import TrackingEvent

    message = OutboundMessage.objects.filter(
        provider_message_id=provider_message_id
    ).first()
    if message is None or not provider_message_id:
        return False
    try:
        with transaction.atomic():
            TrackingEvent.objects.create(
                event_id=event_id[:200],
                message=message,
                event_type=event_type,
                occurred_at=occurred_at or timezone.now(),
            )
    except IntegrityError:
        return False  # the provider sent this event before
    delivery = EVENT_TO_DELIVERY.get(event_type)
    if delivery is None:
        return True
    for offer in _delivery_raise(message, delivery):
        if delivery == "bounced":
            _notify_owner(
                offer,
                _("Bounced: %(offer)s") % {"offer": offer.label},
                offer.contact.email,
            )
    return True


def _delivery_raise(message, delivery: str) -> list[Offer]:
    """Move the e-mail status of the offers `message` carried up to `delivery` (never
    back); return the offers that changed. Call inside a transaction."""
    changed = []
    offers = Offer.objects.select_for_update().select_related("account", "contact")
    for offer in offers.filter(message=message):
        if DELIVERY_ORDER[delivery] > DELIVERY_ORDER.get(offer.delivery, 0):
            offer.delivery = delivery
            offer.save(update_fields=["delivery", "updated_at"])
            changed.append(offer)
    return changed


@transaction.atomic
def delivery_from_outbox(*, message, failed: bool) -> int:
    """Show the outbox's outcome on the offers it carried; a failure tells the owner."""
    delivery = Offer.Delivery.FAILED if failed else Offer.Delivery.SENT
    changed = _delivery_raise(message, delivery)
    for offer in changed if failed else ():
        _notify_owner(
            offer,
            _("Not delivered: %(offer)s") % {"offer": offer.label},
            message.last_error,
        )
    return len(changed)


def _offer_for_reply(in_reply_to: str, references: str) -> Offer | None:
    """The offer whose e-mail the reply answers: by our Message-ID in its
    In-Reply-To or References, nothing else (a subject is anyone's to write)."""
    from kam.core.models import OutboundMessage

    ids = {i.strip() for i in f"{in_reply_to} {references}".split() if i.strip()}
    if not ids:
        return None
    message = OutboundMessage.objects.filter(rfc_message_id__in=ids).first()
    return Offer.objects.filter(message=message).first() if message else None


def _offer_named_in(subject: str) -> Offer | None:
    match = re.search(r"OF-\d{4}-\d{5}", subject or "")
    if match is None:
        return None
    return Offer.objects.filter(number=match.group(0)).order_by("-revision").first()


def _account_of_sender(from_email: str) -> Account | None:
    """The one account whose contact has this address, or None (none or several)."""
    if not from_email:
        return None
    accounts = list(
        Contact.objects.filter(email__iexact=from_email)
        .values_list("account_id", flat=True)
        .distinct()[:2]
    )
    return Account.objects.get(pk=accounts[0]) if len(accounts) == 1 else None


def _mail_on_timeline(mail: InboundMail, *, actor=None) -> TimelineEntry:
    if mail.is_answer:
        title = Later(
            gettext_noop("Reply from %(sender)s on offer %(offer)s"),
            sender=mail.from_email,
            offer=mail.offer.label,
        )
    else:  # the KAM read it and vouches for it
        title = Later(
            gettext_noop("Mail from %(sender)s: %(subject)s"),
            sender=mail.from_email,
            subject=mail.subject[:150],
        )
    return TimelineEntry.objects.create(
        account=mail.account,
        kind=TimelineEntry.Kind.EMAIL,
        occurred_at=mail.received_at,
        title=title,
        summary=mail.text[:2000],
        actor=actor,
    )


@transaction.atomic
def inbound_reply_apply(
    *,
    from_email: str,
    subject: str,
    text: str,
    in_reply_to: str = "",
    references: str = "",
    message_id: str = "",
) -> InboundMail | None:
    """Keep an inbound mail once (per Message-ID). A reply to one of our offer
    e-mails goes on the account timeline as the customer's word; any other mail,
    even one naming an offer in its subject (anyone can write a subject), waits
    in the review list for the account's KAM. None: the provider sent it again."""
    message_id = message_id.strip()[:250] or None
    offer = _offer_for_reply(in_reply_to, references)
    named = offer or _offer_named_in(subject)
    account = named.account if named else _account_of_sender(from_email)
    fields = {
        "from_email": from_email[:254],
        "subject": subject[:300],
        "text": text[:20000],
        "account": account,
        "offer": named,
        "is_answer": offer is not None,
        "status": (
            InboundMail.Status.ON_TIMELINE
            if offer is not None
            else InboundMail.Status.TO_REVIEW
        ),
    }
    if message_id is None:
        mail = InboundMail.objects.create(**fields)
    else:
        mail, created = InboundMail.objects.get_or_create(
            message_id=message_id, defaults=fields
        )
        if not created:
            return None
    if offer is not None:
        _mail_on_timeline(mail)
        _notify_owner(
            offer, _("Reply on %(offer)s") % {"offer": offer.label}, subject[:200]
        )
    elif account is not None:
        core_services.notification_create(
            user=account.owner,
            title=_("To review: a mail from %(sender)s that answers none of ours")
            % {"sender": from_email[:100]},
            body=f"{subject[:300]}\n\n{text[:1000]}",
            url=reverse("offers:inbox") + f"#mail-{mail.pk}",
        )
    return mail


@transaction.atomic
def inbound_mail_decide(*, mail: InboundMail, actor, keep: bool) -> InboundMail:
    """Put a reviewed mail on its account's timeline (keep) or dismiss it."""
    mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
    target = InboundMail.Status.ON_TIMELINE if keep else InboundMail.Status.DISMISSED
    if mail.status == target:
        return mail
    if not state.can_become(mail, target):
        raise ApplicationError(state.refusal(mail, target))
    if keep and mail.account is None:
        raise ApplicationError(
            _("This mail belongs to no account: it can only be dismissed.")
        )
    mail.status, mail.decided_by, mail.decided_at = target, actor, timezone.now()
    mail.save(update_fields=["status", "decided_by", "decided_at"])
    if keep:
        _mail_on_timeline(mail, actor=actor)
    return mail


def acceptance_path(offer: Offer) -> str:
    return reverse("acceptance:accept", args=[acceptance_token(offer)])


@transaction.atomic
def offer_template_save(
    *, template: OfferTemplate, subject: str, body: str, closing: str = ""
) -> OfferTemplate:
    """Save a template after checking its placeholders."""
    errors = [
        e
        for text in (subject, body, closing)
        for e in placeholders.template_errors(text)
    ]
    if errors:
        raise ApplicationError(" ".join(errors))
    template.subject, template.body, template.closing = subject, body, closing
    template.save(update_fields=["subject", "body", "closing", "updated_at"])
    return template
