"""Reads of contracts, subscriptions and invoices, N+1-free and access-checked."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.eu import vat

from accounts.selectors import convert
from accounts.validators import EU_COUNTRIES
from catalog import tax
from catalog.pricing import round_money
from catalog.selectors import BASE_CURRENCY, exchange_rates, sale_prices
from contracts.models import Contract, Invoice, Subscription
from contracts.services import einvoice
from core.access import get_visible_or_404, visible_to
from core.dates import local_datetime

ZERO = Decimal("0.00")
ENDING_DAYS = 90


def contract_list_for_user(*, user) -> QuerySet[Contract]:
    return visible_to(
        Contract.objects.select_related("account", "contact"), user
    ).order_by("-created_at", "-pk")


def contract_get_for_user(*, user, pk: int) -> Contract:
    """Fetch a contract the user may see (404 otherwise), with what its page shows."""
    return get_visible_or_404(
        Contract.objects.select_related(
            "account", "account__owner", "contact", "offer", "option", "renewal_offer"
        ).prefetch_related(
            "lines__product",
            "terms",
            "events__actor",
            "subscriptions__product",
            "invoices",
        ),
        user,
        pk=pk,
    )


def subscription_list_for_user(*, user) -> QuerySet[Subscription]:
    return visible_to(
        Subscription.objects.select_related("account", "product", "contract"), user
    )


def invoice_list_for_user(*, user) -> QuerySet[Invoice]:
    return visible_to(
        Invoice.objects.select_related("account", "contract").prefetch_related("lines"),
        user,
    )


@dataclass
class ContractSituation:
    currency: str
    mrr: Decimal = ZERO
    subscriptions: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    open_invoices: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @property
    def arr(self) -> Decimal:
        return self.mrr * 12

    @property
    def overdue(self) -> list:
        return [i for i in self.open_invoices if i.status == Invoice.Status.OVERDUE]

    @property
    def open_total(self) -> Decimal:
        return sum((i.gross for i in self.open_invoices), ZERO)


def contract_situation(*, account, today: date | None = None) -> ContractSituation:
    """Subscriptions, contracts with end and cancel-by dates, open invoices, MRR/ARR."""
    today = today or timezone.localdate()
    rates = exchange_rates()
    target = account.currency
    subscriptions = list(
        Subscription.objects.filter(
            account=account,
            status__in=[Subscription.Status.TRIAL, Subscription.Status.ACTIVE],
        )
        .select_related("product", "contract")
        .order_by("end_on", "pk")
    )
    ending_before = today + timedelta(days=ENDING_DAYS)
    for s in subscriptions:
        s.is_ending = s.end_on <= ending_before and not s.contract.auto_renew
    mrr = sum(
        (
            convert(s.mrr, s.currency, target, rates)
            for s in subscriptions
            if s.status == Subscription.Status.ACTIVE
        ),
        ZERO,
    )
    contracts = list(
        Contract.objects.filter(account=account)
        .exclude(status__in=[Contract.Status.CANCELLED])
        .filter(end_on__gte=today - timedelta(days=365))
        .order_by("end_on", "pk")
    )
    invoices = list(
        Invoice.objects.filter(
            account=account, kind=Invoice.Kind.INVOICE, status__in=Invoice.OPEN
        ).order_by("due_on", "pk")
    )
    return ContractSituation(
        currency=target,
        mrr=round_money(mrr),
        subscriptions=subscriptions,
        contracts=contracts,
        open_invoices=invoices,
        counts={
            "active": sum(1 for s in subscriptions if s.status == "active"),
            "trial": sum(1 for s in subscriptions if s.status == "trial"),
            "ending": sum(1 for s in subscriptions if s.is_ending),
        },
    )


def portfolio_billing_for_user(*, user, today: date | None = None) -> dict:
    """The KAM home's view: MRR/ARR in EUR, overdue invoices, cancel-by dates soon."""
    today = today or timezone.localdate()
    rates = exchange_rates()
    own = {"account__owner": user}
    mrr = ZERO
    for row in (
        Subscription.objects.filter(status=Subscription.Status.ACTIVE, **own)
        .values("currency")
        .annotate(total=Sum("mrr"))
    ):
        mrr += convert(row["total"], row["currency"], BASE_CURRENCY, rates)
    overdue = list(
        Invoice.objects.filter(status=Invoice.Status.OVERDUE, **own)
        .select_related("account")
        .order_by("due_on", "pk")[:10]
    )
    cancel_soon = list(
        Contract.objects.filter(
            status__in=Contract.RUNNING,
            cancel_by__gte=today,
            cancel_by__lte=today + timedelta(days=60),
            **own,
        )
        .select_related("account")
        .order_by("cancel_by", "pk")[:10]
    )
    trials = (
        Subscription.objects.filter(
            status=Subscription.Status.TRIAL,
            trial_ends_on__lte=today + timedelta(days=14),
            **own,
        )
        .values("contract")
        .distinct()
        .count()
    )
    return {
        "currency": BASE_CURRENCY,
        "mrr": round_money(mrr),
        "arr": round_money(mrr) * 12,
        "overdue": overdue,
        "cancel_soon": cancel_soon,
        "trials_ending": trials,
    }


# customer services' worklist: each entry's label, and which contracts it holds
WORKLIST = {
    "new": gettext_lazy("New (not sent yet)"),
    "awaiting_signature": gettext_lazy("Awaiting signature"),
    "ready_to_finalize": gettext_lazy("Ready to finalize"),
    "finalized_today": gettext_lazy("Finalized today"),
}


def worklist_filters(*, today: date | None = None) -> dict[str, Q]:
    """The contracts of each worklist entry (the admin's filter and the counts)."""
    start = local_datetime(today or timezone.localdate())
    return {
        "new": Q(status=Contract.Status.DRAFT),
        "awaiting_signature": Q(status=Contract.Status.SENT),
        "ready_to_finalize": Q(status=Contract.Status.SIGNED),
        "finalized_today": Q(finalized_at__gte=start),
    }


def worklist_counts(*, today: date | None = None) -> dict:
    """Customer services' worklist: what waits for them."""
    counts = Contract.objects.aggregate(
        **{
            key: Count("pk", filter=q)
            for key, q in worklist_filters(today=today).items()
        }
    )
    counts["overdue_invoices"] = Invoice.objects.filter(
        status=Invoice.Status.OVERDUE
    ).count()
    return counts


@dataclass
class DiffRow:
    description: str
    old: object = None  # ContractLine
    new: object = None  # OfferLine
    list_price: Decimal | None = None
    no_longer_sold: bool = False

    @property
    def old_net(self) -> Decimal | None:
        return self.old.net if self.old else None

    @property
    def new_net(self) -> Decimal | None:
        return self.new.net if self.new else None

    @property
    def change_percent(self) -> Decimal | None:
        if self.old is None or self.new is None or not self.old.net:
            return None
        return ((self.new.net - self.old.net) / self.old.net * 100).quantize(
            Decimal("0.1")
        )

    @property
    def state(self) -> str:
        if self.no_longer_sold:
            return "gone"
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        if self.new.net != self.old.net:
            return "up" if self.new.net > self.old.net else "down"
        return "same"


def renewal_diff(*, contract: Contract) -> dict:
    """The old contract side by side with its renewal offer (or today's prices).

    Lines match by product and description; items no longer sold (inactive, or no
    price in the contract's currency) are flagged.
    """
    old_lines = list(contract.lines.select_related("product"))
    prices = {
        product_id: price
        for (product_id, _cur), price in sale_prices(
            [line.product_id for line in old_lines], contract.currency
        ).items()
    }
    offer = contract.renewal_offer
    option = None
    new_lines: list = []
    if offer is not None:
        option = offer.accepted_option or offer.options.order_by("position").first()
        if option is not None:
            new_lines = list(option.lines.select_related("product"))
    unmatched = {(line.product_id, line.description): line for line in new_lines}
    rows = []
    for line in old_lines:
        new = unmatched.pop((line.product_id, line.description), None)
        rows.append(
            DiffRow(
                description=line.description,
                old=line,
                new=new,
                list_price=prices.get(line.product_id),
                no_longer_sold=line.product_id not in prices,
            )
        )
    rows.extend(
        DiffRow(description=line.description, new=line) for line in unmatched.values()
    )
    old_total = sum((r.old_net for r in rows if r.old), ZERO)
    new_total = sum((r.new_net for r in rows if r.new), ZERO)
    return {
        "offer": offer,
        "option": option,
        "rows": rows,
        "old_total": old_total,
        "new_total": new_total,
        "change_percent": ((new_total - old_total) / old_total * 100).quantize(
            Decimal("0.1")
        )
        if old_total and offer
        else None,
        "gone": [r for r in rows if r.no_longer_sold],
    }


# --- before finalizing: what customer services check (reads only) ---------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def contract_checks(contract: Contract) -> list[Check]:
    """The data checks customer services go through before finalizing."""
    account = contract.account
    checks = []
    missing = [
        label
        for label, value in (
            (_("street"), account.street),
            (_("postal code"), account.postal_code),
            (_("city"), account.city),
            (_("country"), account.country),
        )
        if not value
    ]
    checks.append(
        Check(
            _("Billing address"),
            not missing,
            _("Missing on the account: %(fields)s.") % {"fields": ", ".join(missing)}
            if missing
            else "",
        )
    )
    home = tax.home_country()
    needs_vat = account.country in EU_COUNTRIES and account.country != home
    if not needs_vat:
        checks.append(
            Check(_("VAT id"), True, _("Not needed outside the EU or at home."))
        )
    elif not account.vat_id:
        checks.append(
            Check(
                _("VAT id"),
                False,
                _(
                    "An EU business customer outside %(home)s needs a VAT id for "
                    "reverse charge."
                )
                % {"home": home},
            )
        )
    else:
        valid = vat.is_valid(account.vat_id)
        checks.append(
            Check(
                _("VAT id"),
                valid,
                ""
                if valid
                else _("%(id)s is not a valid VAT id.") % {"id": account.vat_id},
            )
        )
    checks.append(
        Check(
            _("Contact email"),
            bool(contract.contact.email),
            ""
            if contract.contact.email
            else _("%(name)s has no email address.") % {"name": contract.contact},
        )
    )
    missing = einvoice.account_requirements(account, contract)
    checks.append(
        Check(
            _("Invoice data"),
            not missing,
            " ".join(missing)
            or _("Complete for %(format)s.")
            % {"format": account.get_einvoice_format_display()},
        )
    )
    checks.append(_price_check(contract))
    approval_ok = not contract.needs_approval or contract.approved_by_id is not None
    checks.append(
        Check(
            _("Approval"),
            approval_ok,
            ""
            if approval_ok
            else _("The discount needed a Sales Manager's approval; none is on file."),
        )
    )
    signature_ok = bool(contract.signed_at) and (
        (
            contract.signed_via == Contract.SignedVia.WEB
            and contract.signed_sha256 == contract.pdf_sha256
        )
        or (
            contract.signed_via == Contract.SignedVia.SCAN
            and contract.signed_scan_id is not None
        )
    )
    checks.append(
        Check(
            _("Signature"),
            signature_ok,
            ""
            if signature_ok
            else _("No signature yet: wait for the customer or upload a signed scan."),
        )
    )
    return checks


def _price_check(contract: Contract) -> Check:
    """What will be billed equals what the customer accepted and signed: the same
    lines with the same price units, and the same figures per billing period, per
    year and for the term; once billing started, each subscription bills the
    signed amount per period."""
    if contract.option_id is None:
        return Check(_("Prices"), True, _("No offer: nothing to compare."))
    key = lambda line: (  # noqa: E731
        line.product_id,
        line.quantity,
        line.unit_price,
        line.discount_percent,
        line.price_unit,
        line.tax_rate,
    )
    offered = sorted(key(line) for line in contract.option.lines.all())
    contracted = sorted(key(line) for line in contract.lines.all())
    if offered != contracted:
        return Check(
            _("Prices"),
            False,
            _("The contract lines differ from the accepted option %(option)s.")
            % {"option": contract.option.name},
        )
    signed = contract.option.figures()
    billed = contract.figures()
    pairs = [
        (_("per billing period"), signed.period.gross, billed.period.gross),
        (_("per year"), signed.year.gross, billed.year.gross),
        (_("one-off"), signed.one_off.gross, billed.one_off.gross),
        (_("for the term"), signed.term.gross, billed.term.gross),
    ]
    if signed.billing_period != billed.billing_period:
        pairs.append(
            (_("billing period"), signed.billing_period, billed.billing_period)
        )
    for name, was, now in pairs:
        if was != now:
            return Check(
                _("Prices"),
                False,
                _("Billed %(what)s: %(billed)s, but %(signed)s was signed.")
                % {"what": name, "billed": now, "signed": was},
            )
    per_line = {
        figure.line.pk: figure.per_period
        for figure in billed.lines
        if figure.is_recurring
    }
    for subscription in contract.subscriptions.all():
        expected = per_line.get(subscription.contract_line_id)
        if expected is not None and subscription.period_amount != expected:
            return Check(
                _("Prices"),
                False,
                _("%(item)s bills %(billed)s a period, but %(signed)s was signed.")
                % {
                    "item": subscription.product.name,
                    "billed": subscription.period_amount,
                    "signed": expected,
                },
            )
    return Check(_("Prices"), True)
