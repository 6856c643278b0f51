"""Reads of account plans: access, and target against actual revenue per month."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _

from catalog.pricing import percent, round_money
from catalog.selectors import exchange_rates, to_base
from contracts.models import Invoice
from core.access import get_visible_or_404
from planning.models import AccountPlan

ZERO = Decimal("0")


def plan_get_for_user(*, user, pk: int) -> AccountPlan:
    """Fetch one plan of an account the user may see, or raise 404."""
    return get_visible_or_404(
        AccountPlan.objects.select_related("account", "account__owner", "agreed_with"),
        user,
        pk=pk,
    )


def monthly_actuals(account_id: int, year: int) -> list[Decimal]:
    """Net invoiced per month of the year in EUR.

    A cancelled invoice still counts, and so does the credit note that cancelled
    it (negative): together they make zero, in the months they were issued.
    """
    rates = exchange_rates()
    months = defaultdict(Decimal)
    for month, currency, net in (
        Invoice.objects.filter(account_id=account_id, issued_on__year=year)
        .annotate(month=ExtractMonth("issued_on"))
        .order_by()
        .values_list("month", "currency")
        .annotate(net=Sum("net"))
    ):
        months[month] += to_base(net, currency, rates)
    return [round_money(months[m]) for m in range(1, 13)]


def plan_performance(plan: AccountPlan, *, today: date) -> dict:
    targets = [m.target for m in plan.months.all()] or [ZERO] * 12
    actuals = monthly_actuals(plan.account_id, plan.year)
    upto = (
        12
        if today.year > plan.year
        else (today.month if today.year == plan.year else 0)
    )
    target_ytd = sum(targets[:upto], ZERO)
    actual_ytd = sum(actuals[:upto], ZERO)
    return {
        "rows": [
            {
                "month": date(plan.year, m, 1),
                "target": targets[m - 1],
                "actual": actuals[m - 1] if m <= upto else None,
            }
            for m in range(1, 13)
        ],
        "target_total": sum(targets, ZERO),
        "actual_total": sum(actuals, ZERO),
        "target_ytd": target_ytd,
        "actual_ytd": actual_ytd,
        "ytd_percent": percent(actual_ytd, target_ytd),
        "chart": {
            "type": "bar",
            "labels": [date(plan.year, m, 1).strftime("%Y-%m") for m in range(1, 13)],
            "datasets": [
                {"label": _("Target"), "data": targets},
                {"label": _("Actual (invoiced)"), "data": actuals[:upto]},
            ],
        },
    }
