"""The offer pipeline: offers by status and age, win rate, average discount and
how long approvals take."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery

from catalog.models import money
from catalog.selectors import exchange_rates, to_base
from insights.filters import Scope
from insights.selectors import percent
from kam.core.dates import local_datetime
from offers.models import Offer, OfferEvent

ZERO = Decimal("0")
S = Offer.Status
OPEN = [S.DRAFT, S.PENDING_APPROVAL, S.APPROVED, S.REJECTED, S.SENT]
DECIDED = [S.ACCEPTED, S.DECLINED, S.EXPIRED]
# age buckets of open offers, in days since they were created
AGES = [(7, "0–7"), (30, "8–30"), (90, "31–90"), (None, "> 90")]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return local_datetime(start), local_datetime(end + timedelta(days=1))


# each option's list and net value, and its rank by net within its offer
_OPTIONS = """
SELECT p.offer_id,
       SUM(l.quantity * l.unit_price) AS listed,
       SUM(l.quantity * l.unit_price * (100 - l.discount_percent) / 100) AS net
FROM offers_offerline l JOIN offers_offeroption p ON p.id = l.option_id
WHERE p.offer_id IN ({offers})
GROUP BY p.id, p.offer_id
"""
_RANKED = (
    "SELECT offer_id, listed, net, ROW_NUMBER() OVER (PARTITION BY offer_id "
    "ORDER BY net DESC) AS rn FROM ({options}) opt"
)


def _largest_options(offers) -> tuple[str, list]:
    """SQL of (offer_id, listed, net) of each offer's largest option, and params."""
    sql, params = offers.values("pk").query.sql_with_params()
    ranked = _RANKED.format(options=_OPTIONS.format(offers=sql))
    # only SQL that Django compiled is put together here; values stay parameters
    sql = f"SELECT offer_id, listed, net FROM ({ranked}) r WHERE rn = 1"  # noqa: S608
    return sql, list(params)


def _by_status_and_age(chosen, today: date, rates) -> tuple[dict, dict]:
    """Count and value per status, and open offers per age bucket: one query."""
    labels = dict(S.choices)
    by_status = {
        s: {"status": s, "label": labels[s], "count": 0, "value": ZERO}
        for s in [*OPEN, *DECIDED]
    }
    ages = {s: [0] * len(AGES) for s in OPEN}
    best, best_params = _largest_options(chosen)
    offers, params = chosen.values("pk").query.sql_with_params()
    # created on or after the start of the day `limit` days ago: in that bucket
    cases = " ".join(
        f"WHEN o.created_at >= %s THEN {i}"
        for i, (limit, _l) in enumerate(AGES)
        if limit
    )
    bounds = [
        local_datetime(today - timedelta(days=limit)) for limit, _l in AGES if limit
    ]
    sql = (
        f"SELECT o.status, o.currency, CASE {cases} ELSE {len(AGES) - 1} END, "  # noqa: S608
        f"COUNT(*), SUM(b.net) FROM offers_offer o LEFT JOIN ({best}) b "
        f"ON b.offer_id = o.id WHERE o.id IN ({offers}) GROUP BY 1, 2, 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*bounds, *best_params, *params])
        for status, currency, bucket, count, value in cursor.fetchall():
            if status not in by_status:
                continue
            by_status[status]["count"] += count
            by_status[status]["value"] += money(
                to_base(Decimal(value or 0), currency, rates)
            )
            if status in ages:
                ages[status][bucket] += count
    return by_status, ages


def _sent_discount(sent, rates) -> tuple[int, Decimal, Decimal]:
    """Offers sent, and the list and net value of their largest options (EUR)."""
    best, params = _largest_options(sent)
    offers, offer_params = sent.values("pk").query.sql_with_params()
    sql = (
        f"SELECT o.currency, COUNT(*), SUM(b.listed), SUM(b.net) FROM offers_offer o "  # noqa: S608
        f"LEFT JOIN ({best}) b ON b.offer_id = o.id WHERE o.id IN ({offers}) "
        "GROUP BY o.currency"
    )
    count, listed, net = 0, ZERO, ZERO
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *offer_params])
        for currency, n, listed_sum, net_sum in cursor.fetchall():
            count += n
            listed += to_base(Decimal(listed_sum or 0), currency, rates)
            net += to_base(Decimal(net_sum or 0), currency, rates)
    return count, listed, net


def pipeline_report(scope: Scope, *, today: date) -> dict:
    start, end = _bounds(scope.start, scope.end)
    rates = exchange_rates()
    labels = dict(S.choices)
    chosen = (
        # open offers whatever their age; decided ones when made in the period
        Offer.objects.filter(
            Q(status__in=OPEN) | Q(created_at__gte=start),
            account_id__in=scope.account_ids,
            created_at__lt=end,
        )
        .exclude(status=S.SUPERSEDED)
        .order_by()
    )
    by_status, ages = _by_status_and_age(chosen, today, rates)

    # decisions in the period, from the offers' event log
    events = OfferEvent.objects.filter(
        offer__account_id__in=scope.account_ids, at__gte=start, at__lt=end
    )
    decided = dict(
        events.filter(to_status__in=DECIDED)
        .order_by()
        .values_list("to_status")
        .annotate(n=Count("pk"))
    )
    won = decided.get(S.ACCEPTED, 0)
    lost = decided.get(S.DECLINED, 0) + decided.get(S.EXPIRED, 0)
    # approvals decided in the period, each from the request just before it
    asked = (
        OfferEvent.objects.filter(
            offer_id=OuterRef("offer_id"),
            to_status=S.PENDING_APPROVAL,
            at__lte=OuterRef("at"),
        )
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    turnaround = [
        (at - requested).total_seconds() / 3600
        for at, requested in events.filter(to_status__in=[S.APPROVED, S.REJECTED])
        .annotate(requested=Subquery(asked))
        .filter(requested__isnull=False)
        .values_list("at", "requested")
    ]

    # average discount of what was sent in the period, weighted by list value
    sent_count, listed, net = _sent_discount(
        Offer.objects.filter(
            account_id__in=scope.account_ids, sent_at__gte=start, sent_at__lt=end
        ).order_by(),
        rates,
    )
    ages = {
        s: dict(zip([label for _l, label in AGES], ages[s], strict=True)) for s in OPEN
    }
    return {
        "statuses": list(by_status.values()),
        "ages": [
            {"status": s, "label": labels[s], "buckets": list(ages[s].values())}
            for s in OPEN
        ],
        "age_labels": [label for _l, label in AGES],
        "open_count": sum(by_status[s]["count"] for s in OPEN),
        "open_value": sum((by_status[s]["value"] for s in OPEN), ZERO),
        "won": won,
        "lost": lost,
        "win_rate": percent(won, won + lost),
        "sent_count": sent_count,
        "avg_discount": percent(listed - net, listed),
        "approvals": len(turnaround),
        "turnaround_median_h": round(median(turnaround), 1) if turnaround else None,
        "turnaround_mean_h": (
            round(sum(turnaround) / len(turnaround), 1) if turnaround else None
        ),
    }
