"""ABC tiers and the attractiveness / position scores of every account."""

import json
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from accounts.models import Account, Contact, OrderLine, PortfolioConfig
from catalog.models import ProductFamily
from catalog.pricing import round_money
from catalog.selectors import exchange_rates, to_base
from core.bulk import update_rows

ZERO = Decimal("0")


def revenue_windows(today: date) -> tuple[date, date, date]:
    """Return (start of previous 12 months, start of last 12 months, today)."""
    start = today - relativedelta(years=1) + timedelta(days=1)
    return start - relativedelta(years=1), start, today


def abc_tiers(
    revenues: dict[int, Decimal], *, a_share: int, b_share: int
) -> dict[int, str]:
    """Pareto tiers: A makes the first a_share % of revenue, B up to b_share %, C rest.

    An account belongs to the tier in which its cumulative share *starts*, so the
    account that crosses 80 % is still A. Accounts without revenue are C.
    """
    total = sum(revenues.values(), ZERO)
    tiers = {}
    running = ZERO
    for pk, revenue in sorted(revenues.items(), key=lambda kv: (-kv[1], kv[0])):
        if total <= 0 or revenue <= 0:
            tiers[pk] = "C"
            continue
        share_before = running / total * 100
        tiers[pk] = (
            "A" if share_before < a_share else "B" if share_before < b_share else "C"
        )
        running += revenue
    return tiers


def _percentile_ranks(values: dict[int, Decimal]) -> dict[int, int]:
    ordered = sorted(values.items(), key=lambda kv: kv[1])
    n = len(ordered)
    return {
        pk: round(100 * i / (n - 1)) if n > 1 else 100
        for i, (pk, _v) in enumerate(ordered)
    }


@transaction.atomic
def portfolio_recompute(*, today: date | None = None) -> dict[str, int]:
    """Recompute 12-month revenue, ABC tier and portfolio scores of every account."""
    today = today or timezone.localdate()
    prev_start, start, end = revenue_windows(today)
    rates = exchange_rates()
    current: dict[int, Decimal] = {}
    previous: dict[int, Decimal] = {}
    families: dict[int, int] = {}
    sums = (
        OrderLine.objects.filter(ordered_on__gte=prev_start, ordered_on__lte=end)
        .values("account_id", "currency")
        .annotate(
            cur=Sum("net_amount", filter=Q(ordered_on__gte=start)),
            prev=Sum("net_amount", filter=Q(ordered_on__lt=start)),
            fam=Count(
                "product__family", distinct=True, filter=Q(ordered_on__gte=start)
            ),
        )
    )
    for row in sums:
        pk = row["account_id"]
        current[pk] = current.get(pk, ZERO) + to_base(
            row["cur"] or ZERO, row["currency"], rates
        )
        previous[pk] = previous.get(pk, ZERO) + to_base(
            row["prev"] or ZERO, row["currency"], rates
        )
        families[pk] = max(families.get(pk, 0), row["fam"])
    strength = dict(
        Contact.objects.values("account_id")
        .annotate(s=Avg("relationship_strength"))
        .values_list("account_id", "s")
    )
    family_total = ProductFamily.objects.count() or 1
    config = PortfolioConfig.get()
    accounts = list(
        Account.objects.only("pk", "revenue_potential", "strategic_fit").order_by("pk")
    )
    revenue = {a.pk: current.get(a.pk, ZERO) for a in accounts}
    tiers = abc_tiers(revenue, a_share=config.a_share, b_share=config.b_share)
    revenue_rank = _percentile_ranks(revenue)
    now = timezone.now()
    for account in accounts:
        pk = account.pk
        rev, prev = revenue[pk], previous.get(pk, ZERO)
        growth = float((rev - prev) / prev * 100) if prev else (100.0 if rev else 0.0)
        growth_score = max(0, min(100, round(50 + growth)))
        fit_score = (account.strategic_fit - 1) * 25
        potential = account.revenue_potential
        wallet = float(min(rev / potential, Decimal(1)) * 100) if potential else 0.0
        relationship = round(((strength.get(pk) or 1) - 1) * 25)
        coverage = round(100 * families.get(pk, 0) / family_total)
        account.attractiveness = round(
            0.4 * revenue_rank[pk] + 0.3 * growth_score + 0.3 * fit_score
        )
        account.position = round(0.4 * wallet + 0.35 * relationship + 0.25 * coverage)
        account.score_inputs = {
            "attractiveness": {
                "revenue_percentile": revenue_rank[pk],
                "growth_percent": round(growth, 1),
                "growth_score": growth_score,
                "strategic_fit": account.strategic_fit,
                "fit_score": fit_score,
                "weights": {"revenue": 0.4, "growth": 0.3, "fit": 0.3},
            },
            "position": {
                "share_of_wallet_percent": round(wallet, 1),
                "relationship_avg": round(float(strength.get(pk) or 0), 2),
                "relationship_score": relationship,
                "families_owned": families.get(pk, 0),
                "families_total": family_total,
                "coverage_score": coverage,
                "weights": {"wallet": 0.4, "relationship": 0.35, "coverage": 0.25},
            },
        }
        account.revenue_12m = round_money(rev)
        account.revenue_prev_12m = round_money(prev)
        account.tier = tiers[pk]
        account.portfolio_computed_at = now
    # one UPDATE ... FROM (VALUES ...) per batch: Django's bulk_update built a CASE
    # expression per row and column in Python (120 of 142 s for 50,000 accounts)
    stamp = connection.ops.adapt_datetimefield_value(now)
    update_rows(
        Account,
        ["revenue_12m", "revenue_prev_12m", "tier", "attractiveness", "position",
         "score_inputs", "portfolio_computed_at"],
        [
            (a.pk, a.revenue_12m, a.revenue_prev_12m, a.tier, a.attractiveness,
             a.position, json.dumps(a.score_inputs), stamp)
            for a in accounts
        ],
        casts={"score_inputs": "jsonb", "portfolio_computed_at": "timestamptz"},
    )  # fmt: skip
    counts = {"A": 0, "B": 0, "C": 0}
    for tier in tiers.values():
        counts[tier] += 1
    return {"accounts": len(accounts), **counts}
