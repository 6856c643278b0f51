"""Renewals and churn: the renewal forecast, revenue retention, logo churn, reasons
and the churn target against the trend."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils.translation import gettext as _

from catalog.pricing import HUNDRED, round_money
from catalog.selectors import exchange_rates, to_base
from contracts.models import Contract, ContractTerm, Subscription
from insights.filters import Scope
from insights.models import ChurnTarget
from insights.selectors import percent
from renewals.models import Churn

ZERO = Decimal("0")


def month_starts(first: date, n: int) -> list[date]:
    first = first.replace(day=1)
    return [first + relativedelta(months=i) for i in range(n)]


def renewal_forecast(scope: Scope, *, today: date, months: int = 12) -> list[dict]:
    """ARR (EUR) of running contracts falling due per month, automatic vs manual."""
    starts = month_starts(today, months)
    end = starts[-1] + relativedelta(months=1)
    rates = exchange_rates()
    rows = {
        m: {"month": m, "auto": ZERO, "manual": ZERO, "contracts": 0} for m in starts
    }
    for month, auto, currency, mrr in (
        Subscription.objects.filter(
            scope.of_accounts(),
            contract__status__in=Contract.RUNNING,
            contract__end_on__gte=starts[0],
            contract__end_on__lt=end,
            status__in=[Subscription.Status.ACTIVE, Subscription.Status.TRIAL],
        )
        .annotate(month=TruncMonth("contract__end_on"))
        .order_by()
        .values_list("month", "contract__auto_renew", "currency")
        .annotate(mrr=Sum("mrr"))
    ):
        month = month.date() if hasattr(month, "date") else month
        rows[month]["auto" if auto else "manual"] += round_money(
            to_base(mrr * 12, currency, rates)
        )
    for month, count in (
        Contract.objects.filter(
            scope.of_accounts(),
            status__in=Contract.RUNNING,
            end_on__gte=starts[0],
            end_on__lt=end,
        )
        .annotate(month=TruncMonth("end_on"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("pk"))
    ):
        month = month.date() if hasattr(month, "date") else month
        rows[month]["contracts"] = count
    return [rows[m] for m in starts]


def arr_on(scope: Scope, day: date) -> dict[int, Decimal]:
    """Each account's ARR (EUR) on a day: the terms running that day."""
    rates = exchange_rates()
    arr = defaultdict(Decimal)
    for account_id, currency, total in (
        ContractTerm.objects.filter(
            scope.of_accounts("contract__account"),
            start_on__lte=day,
            end_on__gte=day,
        )
        .exclude(contract__status=Contract.Status.CANCELLED)
        .order_by()
        .values_list("contract__account_id", "contract__currency")
        .annotate(total=Sum("arr"))
    ):
        arr[account_id] += to_base(total, currency, rates)
    return arr


def retention(scope: Scope) -> dict:
    """GRR, NRR and logo churn between the start and the end of the period.

    The base is every account with ARR on the first day; GRR counts each at most
    at its starting ARR (downgrades and losses only), NRR counts expansion too.
    """
    before, after = arr_on(scope, scope.start), arr_on(scope, scope.end)
    base = {a: v for a, v in before.items() if v > 0}
    start_arr = sum(base.values(), ZERO)
    kept = sum((min(after.get(a, ZERO), v) for a, v in base.items()), ZERO)
    net = sum((after.get(a, ZERO) for a in base), ZERO)
    lost = [a for a in base if not after.get(a)]
    new = sum((v for a, v in after.items() if a not in base and v > 0), ZERO)
    return {
        "start_arr": round_money(start_arr),
        "end_arr": round_money(sum(after.values(), ZERO)),
        "kept_arr": round_money(kept),
        "net_arr": round_money(net),
        "new_arr": round_money(new),
        "grr": percent(kept, start_arr),
        "nrr": percent(net, start_arr),
        "customers": len(base),
        "logos_lost": len(lost),
        "logo_churn": percent(len(lost), len(base)),
    }


def churns(scope: Scope, start: date, end: date):
    return (
        Churn.objects.filter(scope.of_accounts(), lost_on__gte=start, lost_on__lte=end)
        .select_related("account", "account__owner")
        .order_by("-lost_on", "-pk")
    )


def churn_groups(scope: Scope, start: date, end: date) -> list[tuple]:
    """(year, reason, currency, accounts lost, lost ARR, won back) per group of the
    accounts lost between `start` and `end`: one grouped query."""
    return list(
        Churn.objects.filter(scope.of_accounts(), lost_on__gte=start, lost_on__lte=end)
        .annotate(year=ExtractYear("lost_on"))
        .order_by()
        .values_list("year", "reason", "currency")
        .annotate(
            n=Count("pk"),
            arr=Sum("lost_arr"),
            won=Count("pk", filter=Q(won_back_on__isnull=False)),
        )
    )


def churn_counts(groups) -> tuple[int, int]:
    """Accounts lost, and how many of them were won back."""
    return sum(g[3] for g in groups), sum(g[5] for g in groups)


def churn_reasons(groups) -> list[dict]:
    """Lost accounts and ARR (EUR) per reason, largest loss first."""
    rates = exchange_rates()
    labels = dict(Churn.Reason.choices)
    by = defaultdict(lambda: {"count": 0, "arr": ZERO})
    for _year, reason, currency, n, arr, _won in groups:
        entry = by[reason]
        entry["count"] += n
        entry["arr"] += round_money(to_base(arr, currency, rates))
    return sorted(
        (
            {"reason": key, "label": labels.get(key) or _("Not recorded yet"), **value}
            for key, value in by.items()
        ),
        key=lambda r: (-r["arr"], -r["count"], str(r["label"])),
    )


def churn_target_for(scope: Scope, year: int) -> ChurnTarget | None:
    q = Q(team=scope.team) if scope.team else Q(team__isnull=True)
    return ChurnTarget.objects.filter(q, year=year).select_related("set_by").first()


def churn_trend(scope: Scope, *, year: int, today: date) -> dict:
    """Churned ARR per month, cumulated: this year, last year, and the target."""
    rates = exchange_rates()
    monthly = {year: [ZERO] * 12, year - 1: [ZERO] * 12}
    for churn in Churn.objects.filter(
        scope.of_accounts(),
        lost_on__gte=date(year - 1, 1, 1),
        lost_on__lte=date(year, 12, 31),
    ).only("lost_on", "lost_arr", "currency"):
        monthly[churn.lost_on.year][churn.lost_on.month - 1] += to_base(
            churn.lost_arr, churn.currency, rates
        )

    def cumulate(values):
        out, running = [], ZERO
        for v in values:
            running += v
            out.append(round_money(running))
        return out

    this, last = cumulate(monthly[year]), cumulate(monthly[year - 1])
    target = churn_target_for(scope, year)
    goal = None
    if target:
        factor = (HUNDRED - target.reduction_percent) / HUNDRED
        goal = [round_money(v * factor) for v in last]
    # months still ahead are not drawn for this year
    shown = today.month if today.year == year else (12 if today.year > year else 0)
    return {
        "year": year,
        "this_year": this[:shown],
        "last_year": last,
        "target_line": goal,
        "target": target,
        "this_ytd": this[shown - 1] if shown else ZERO,
        "last_ytd": last[shown - 1] if shown else ZERO,
        "target_ytd": goal[shown - 1] if goal and shown else None,
        "last_total": last[-1],
        "on_track": (this[shown - 1] <= goal[shown - 1]) if goal and shown else None,
    }


def lost_customers_by_year(scope: Scope, *, last_year: int, years: int = 3) -> list:
    """Per calendar year: customers on 1 January, accounts lost, lost ARR, loss
    rate and how many of them were won back."""
    rates = exchange_rates()
    first = last_year - years + 1
    per_year = defaultdict(lambda: [0, ZERO, 0])  # lost, lost ARR (EUR), won back
    for year, _reason, currency, n, arr, won in churn_groups(
        scope, date(first, 1, 1), date(last_year, 12, 31)
    ):
        entry = per_year[year]
        entry[0] += n
        entry[1] += to_base(arr, currency, rates)
        entry[2] += won
    rows = []
    for year in range(first, last_year + 1):
        customers = sum(1 for v in arr_on(scope, date(year, 1, 1)).values() if v > 0)
        lost, lost_arr, won_back = per_year[year]
        rows.append(
            {
                "year": year,
                "customers": customers,
                "lost": lost,
                "lost_arr": round_money(lost_arr),
                "loss_rate": percent(lost, customers),
                "won_back": won_back,
                "winback_rate": percent(won_back, lost),
            }
        )
    return rows
