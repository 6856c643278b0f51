"""Reads of the portfolio: Pareto curve, attractiveness / position matrix, workload."""

from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.models import PortfolioConfig
from core.models import User
from core.roles import Role

MAX_POINTS = 200
TIER_COLOURS = {"A": "#1f3b57", "B": "#2f7d6d", "C": "#d08c2c"}


def _pareto(revenues: list[Decimal]) -> dict:
    total = sum(revenues, Decimal(0))
    n = len(revenues)
    step = max(1, n // MAX_POINTS)
    labels, cumulative, running = [], [], Decimal(0)
    for i, value in enumerate(revenues, start=1):
        running += value
        if i % step == 0 or i == n:
            labels.append(round(100 * i / n, 1))
            cumulative.append(round(float(running / total * 100), 1) if total else 0)
    return {
        "type": "line",
        "labels": labels,
        "datasets": [
            {"label": _("Cumulative share of revenue (%)"), "data": cumulative}
        ],
        "x_title": _("Share of accounts (%)"),
        "y_max": 100,
    }


def portfolio_overview(accounts) -> dict:
    """Pareto curve, tiers, matrix and workload of the given accounts."""
    config = PortfolioConfig.get()
    revenues = list(
        accounts.filter(revenue_12m__gt=0)
        .order_by("-revenue_12m")
        .values_list("revenue_12m", flat=True)
    )
    total = sum(revenues, Decimal(0))
    top10 = sum(revenues[:10], Decimal(0))
    tiers = accounts.aggregate(
        a=Count("pk", filter=Q(tier="A")),
        b=Count("pk", filter=Q(tier="B")),
        c=Count("pk", filter=Q(tier="C")),
        key=Count("pk", filter=Q(is_key_account=True)),
        last=Count("pk", filter=Q(portfolio_computed_at__isnull=False)),
    )
    key_accounts = list(
        accounts.filter(is_key_account=True)
        .select_related(None)
        .order_by("-revenue_12m")
        .only(
            "pk",
            "name",
            "tier",
            "attractiveness",
            "position",
            "revenue_12m",
            "score_inputs",
        )[:60]
    )
    matrix = {
        "type": "scatter",
        "datasets": [
            {
                "label": _("Tier %(tier)s") % {"tier": tier},
                "backgroundColor": TIER_COLOURS[tier],
                "borderColor": TIER_COLOURS[tier],
                "data": [
                    {"x": a.attractiveness, "y": a.position, "label": a.name}
                    for a in key_accounts
                    if (a.tier or "C") == tier
                ],
            }
            for tier in ("A", "B", "C")
        ],
        "x_title": _("Account attractiveness"),
        "y_title": _("Our position"),
        "quadrants": True,
        # top-left, top-right, bottom-left, bottom-right
        "quadrant_labels": [
            _("Maintain"),
            _("Invest: stars"),
            _("Serve efficiently"),
            _("Develop: grow our position"),
        ],
    }
    kams = (
        User.objects.filter(
            is_active=True,
            groups__name=Role.KEY_ACCOUNT_MANAGER,
            owned_accounts__in=accounts,
        )
        .annotate(
            key=Count(
                "owned_accounts",
                filter=Q(owned_accounts__is_key_account=True),
                distinct=True,
            ),
            total=Count("owned_accounts", distinct=True),
        )
        .order_by("-key", "first_name")
    )
    kams = list(kams[:50])
    workload = {
        "type": "bar",
        "horizontal": True,
        "labels": [str(k) for k in kams],
        "datasets": [
            {"label": _("Key accounts"), "data": [k.key for k in kams]},
            {
                "label": _("Benchmark"),
                "data": [config.key_accounts_per_kam for _k in kams],
                "type": "line",
            },
        ],
    }
    last = (
        accounts.exclude(portfolio_computed_at=None)
        .order_by("-portfolio_computed_at")
        .values_list("portfolio_computed_at", flat=True)
        .first()
    )
    return {
        "config": config,
        "total": total,
        "top10_share": round(top10 / total * 100, 1) if total else None,
        "tiers": tiers,
        "pareto": _pareto(revenues),
        "matrix": matrix,
        "key_accounts": key_accounts,
        "workload": workload,
        "workload_height": 80 + 28 * len(kams),
        "kams": kams,
        "last_computed": last,
    }
