"""Co-occurrence of product families within each industry and tier ("accounts like
this also buy X"), recomputed nightly into FamilyAffinity."""

from collections import Counter, defaultdict
from decimal import Decimal
from itertools import permutations
from statistics import median

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from catalog.pricing import round_money
from contracts.models import Subscription
from insights.models import FamilyAffinity, VolumeBenchmark
from insights.selectors.ownership import family_ownership

FOUR = 4


def _ratio(numerator: int, denominator: int, places: int = FOUR) -> Decimal:
    if not denominator:
        return Decimal(0)
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(10) ** -places)


@transaction.atomic
def affinity_recompute(*, today=None) -> dict[str, int]:
    """Recompute family affinities (support, confidence, lift) and volume benchmarks."""
    today = today or timezone.localdate()
    segments = defaultdict(list)
    for pk, industry, tier in (
        Account.objects.exclude(industry="")
        .exclude(tier="")
        .order_by()
        .values_list("pk", "industry", "tier")
    ):
        segments[(industry, tier)].append(pk)
    ownership = family_ownership(
        Account.objects.exclude(industry="").exclude(tier="").values("pk"), today=today
    )
    now = timezone.now()
    rows = []
    for (industry, tier), members in segments.items():
        n = len(members)
        single, pairs = Counter(), Counter()
        values = defaultdict(list)
        for pk in members:
            owned = ownership.owned(pk)
            single.update(owned)
            pairs.update(permutations(sorted(owned), 2))
            for family_id in owned:
                worth = ownership.value.get(pk, {}).get(family_id)
                if worth:
                    values[family_id].append(worth)
        for (a, b), both in pairs.items():
            confidence = _ratio(both, single[a])
            base = _ratio(single[b], n)
            rows.append(
                FamilyAffinity(
                    industry=industry,
                    tier=tier,
                    antecedent_id=a,
                    consequent_id=b,
                    segment_size=n,
                    antecedent_count=single[a],
                    consequent_count=single[b],
                    both_count=both,
                    support=_ratio(both, n),
                    confidence=confidence,
                    lift=(confidence / base).quantize(Decimal("0.001")) if base else 0,
                    typical_arr=round_money(median(values[b])) if values[b] else 0,
                    computed_at=now,
                )
            )
    FamilyAffinity.objects.all().delete()
    FamilyAffinity.objects.bulk_create(rows, batch_size=2000)
    benchmarks = _volume_benchmarks(now)
    return {"affinities": len(rows), "benchmarks": benchmarks}


MIN_HOLDERS = 3


def _volume_benchmarks(now) -> int:
    """Median quantity per product and segment, from active subscriptions."""
    held = defaultdict(lambda: defaultdict(Decimal))  # segment+product -> acc -> qty
    for industry, tier, product_id, account_id, quantity in (
        Subscription.objects.filter(status=Subscription.Status.ACTIVE)
        .exclude(account__industry="")
        .exclude(account__tier="")
        .order_by()
        .values_list(
            "account__industry", "account__tier", "product_id", "account_id", "quantity"
        )
        .iterator(chunk_size=5000)
    ):
        held[(industry, tier, product_id)][account_id] += quantity
    rows = [
        VolumeBenchmark(
            industry=industry,
            tier=tier,
            product_id=product_id,
            holders=len(per_account),
            median_quantity=round_money(median(per_account.values())),
            computed_at=now,
        )
        for (industry, tier, product_id), per_account in held.items()
        if len(per_account) >= MIN_HOLDERS
    ]
    VolumeBenchmark.objects.all().delete()
    VolumeBenchmark.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
