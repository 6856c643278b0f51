"""Reads for the renewal pipeline, the recovery list and the run records."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import convert
from catalog.pricing import round_money
from catalog.selectors import BASE_CURRENCY, exchange_rates
from contracts.models import Contract, Invoice, Subscription
from core.access import get_visible_or_404, visible_to
from offers.models import Offer
from renewals.models import Churn, RenewalConfig, RenewalRun

BUCKETS = (30, 60, 90, 180)
ZERO = Decimal("0.00")
OFFER_LATE_DAYS = 60

FLAGS = {
    "notice": _("Customer gave notice"),
    "no_offer": _("No renewal offer yet"),
    "offer_unsent": _("Renewal offer not sent"),
    "offer_lost": _("Renewal offer declined or expired"),
    "overdue": _("Overdue invoices"),
}


@dataclass
class PipelineRow:
    contract: Contract
    days_left: int
    bucket: int
    arr: Decimal
    arr_base: Decimal
    flags: list[str] = field(default_factory=list)

    @property
    def flag_labels(self) -> list[str]:
        return [FLAGS[f] for f in self.flags]

    @property
    def at_risk(self) -> bool:
        return bool(self.flags)


def _bucket(days: int) -> int:
    return next(b for b in BUCKETS if days <= b)


def _flags(contract: Contract, days_left: int, lead_days: int) -> list[str]:
    flags = []
    if contract.notice_received_on:
        flags.append("notice")
    if not contract.auto_renew:
        offer = contract.renewal_offer
        if offer is None:
            if days_left <= lead_days:
                flags.append("no_offer")
        elif offer.status in (Offer.Status.DECLINED, Offer.Status.EXPIRED):
            flags.append("offer_lost")
        elif (
            offer.status not in (Offer.Status.SENT, Offer.Status.ACCEPTED)
            and days_left <= OFFER_LATE_DAYS
        ):
            flags.append("offer_unsent")
    if contract.has_overdue:
        flags.append("overdue")
    return flags


def pipeline_for_user(
    *,
    user,
    today: date | None = None,
    horizon: int = 180,
    kind: str = "",
    risk_only: bool = False,
) -> dict:
    """Running contracts ending within `horizon` days, bucketed 30/60/90/180.

    Three queries whatever the number of contracts: the contracts (with their ARR
    and an overdue flag), the exchange rates and the lead time.
    """
    today = today or timezone.localdate()
    lead_days = RenewalConfig.get().lead_days
    rates = exchange_rates()
    contracts = (
        visible_to(Contract.objects.all(), user)
        .filter(
            status__in=Contract.RUNNING,
            end_on__gte=today,
            end_on__lte=today + timedelta(days=horizon),
        )
        .select_related("account", "account__owner", "renewal_offer")
        .annotate(
            mrr_total=Coalesce(
                Sum(
                    "subscriptions__mrr",
                    filter=Q(
                        subscriptions__status__in=[
                            Subscription.Status.ACTIVE,
                            Subscription.Status.TRIAL,
                        ]
                    ),
                ),
                Value(ZERO),
                output_field=DecimalField(),
            ),
            has_overdue=Exists(
                Invoice.objects.filter(
                    account=OuterRef("account"), status=Invoice.Status.OVERDUE
                )
            ),
        )
        .order_by("end_on", "pk")
    )
    if kind == "auto":
        contracts = contracts.filter(auto_renew=True)
    elif kind == "manual":
        contracts = contracts.filter(auto_renew=False)
    rows = []
    for contract in contracts:
        days_left = (contract.end_on - today).days
        arr = contract.mrr_total * 12
        row = PipelineRow(
            contract=contract,
            days_left=days_left,
            bucket=_bucket(days_left),
            arr=arr,
            arr_base=round_money(convert(arr, contract.currency, BASE_CURRENCY, rates)),
            flags=_flags(contract, days_left, lead_days),
        )
        if risk_only and not row.at_risk:
            continue
        rows.append(row)
    summary = []
    for bucket in BUCKETS:
        if bucket > horizon:
            break
        inside = [r for r in rows if r.bucket == bucket]
        auto = [r for r in inside if r.contract.auto_renew]
        manual = [r for r in inside if not r.contract.auto_renew]
        risky = [r for r in inside if r.at_risk]
        summary.append(
            {
                "bucket": bucket,
                "count": len(inside),
                "auto": len(auto),
                "manual": len(manual),
                "arr": sum((r.arr_base for r in inside), ZERO),
                "arr_auto": sum((r.arr_base for r in auto), ZERO),
                "arr_manual": sum((r.arr_base for r in manual), ZERO),
                "at_risk": len(risky),
                "arr_at_risk": sum((r.arr_base for r in risky), ZERO),
            }
        )
    return {
        "rows": rows,
        "summary": summary,
        "total_arr": sum((r.arr_base for r in rows), ZERO),
        "at_risk_arr": sum((r.arr_base for r in rows if r.at_risk), ZERO),
        "currency": BASE_CURRENCY,
        "today": today,
        "lead_days": lead_days,
    }


def pipeline_chart(summary: list[dict]) -> dict:
    """Stacked bars: ARR up for renewal per window, automatic vs. manual."""
    return {
        "type": "bar",
        "stacked": True,
        "labels": [str(_("≤ %(d)d days") % {"d": s["bucket"]}) for s in summary],
        "y_title": f"ARR ({BASE_CURRENCY})",
        "datasets": [
            {
                "label": str(_("Standing orders (renew automatically)")),
                "data": [float(s["arr_auto"]) for s in summary],
            },
            {
                "label": str(_("Manual renewal (offer needed)")),
                "data": [float(s["arr_manual"]) for s in summary],
            },
        ],
    }


def churn_list_for_user(*, user, include_won_back: bool = False) -> QuerySet[Churn]:
    churns = visible_to(Churn.objects.all(), user).select_related(
        "account", "account__owner", "contract", "winback_offer"
    )
    if not include_won_back:
        churns = churns.filter(won_back_on__isnull=True)
    return churns.order_by("-lost_on", "-pk")


def churn_get_for_user(*, user, pk: int) -> Churn:
    return get_visible_or_404(
        Churn.objects.select_related("account", "account__owner", "contract"),
        user,
        pk=pk,
    )


def recovery_summary(churns: list[Churn]) -> dict:
    rates = exchange_rates()
    lost = sum(
        (
            round_money(convert(c.lost_arr, c.currency, BASE_CURRENCY, rates))
            for c in churns
        ),
        ZERO,
    )
    reasons: dict[str, int] = {}
    for churn in churns:
        label = str(churn.get_reason_display() or _("not recorded yet"))
        reasons[label] = reasons.get(label, 0) + 1
    return {
        "count": len(churns),
        "lost_arr": lost,
        "currency": BASE_CURRENCY,
        "missing_reason": sum(1 for c in churns if not c.reason),
        "chart_height": max(140, 44 * len(reasons)),
        "chart": {
            "type": "bar",
            "horizontal": True,
            "labels": list(reasons),
            "x_title": str(_("Lost accounts")),
            "datasets": [
                {"label": str(_("Lost accounts")), "data": list(reasons.values())}
            ],
        },
    }


def run_list() -> QuerySet[RenewalRun]:
    return RenewalRun.objects.order_by("-started_at", "-pk")
