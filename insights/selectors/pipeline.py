"""The offer pipeline: offers by status and age, win rate, average discount and
how long approvals take."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from catalog.pricing import round_money
from catalog.selectors import exchange_rates, to_base
from core.dates import local_datetime
from insights.filters import Scope
from insights.selectors import percent
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
       SUM(l.quantity * l.unit_price * (100 - l.discount_percent)) / 100 AS net
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


def _offer_values(chosen, sent, today: date, rates) -> tuple[dict, dict, tuple]:
    """Count and value per status, open offers per age bucket, and the offers sent
    with the list and net value of their largest options (EUR): one query, which
    ranks each offer's options once."""
    labels = dict(S.choices)
    by_status = {
        s: {"status": s, "label": labels[s], "count": 0, "value": ZERO}
        for s in [*OPEN, *DECIDED]
    }
    ages = {s: [0] * len(AGES) for s in OPEN}
    best, best_params = _largest_options(chosen | sent)
    chosen_sql, chosen_params = chosen.values("pk").query.sql_with_params()
    sent_sql, sent_params = sent.values("pk").query.sql_with_params()
    # created on or after the start of the day `limit` days ago: in that bucket
    cases = " ".join(
        f"WHEN o.created_at >= %s THEN {i}"
        for i, (limit, _l) in enumerate(AGES)
        if limit
    )
    bounds = [
        local_datetime(today - timedelta(days=limit)) for limit, _l in AGES if limit
    ]
    # only SQL that Django compiled is put together here; values stay parameters
    sql = (
        f"WITH best AS ({best}) "  # noqa: S608
        f"SELECT 0, o.status, o.currency, CASE {cases} ELSE {len(AGES) - 1} END, "
        "COUNT(*), SUM(b.listed), SUM(b.net) FROM offers_offer o "
        f"LEFT JOIN best b ON b.offer_id = o.id WHERE o.id IN ({chosen_sql}) "
        "GROUP BY 1, 2, 3, 4 "
        "UNION ALL "
        "SELECT 1, '', o.currency, 0, COUNT(*), SUM(b.listed), SUM(b.net) "
        "FROM offers_offer o LEFT JOIN best b ON b.offer_id = o.id "
        f"WHERE o.id IN ({sent_sql}) GROUP BY 1, 2, 3, 4"
    )
    sent_count, sent_listed, sent_net = 0, ZERO, ZERO
    with connection.cursor() as cursor:
        cursor.execute(sql, [*best_params, *bounds, *chosen_params, *sent_params])
        for part, status, currency, bucket, count, listed, net in cursor.fetchall():
            if part == 1:
                sent_count += count
                sent_listed += to_base(Decimal(listed or 0), currency, rates)
                sent_net += to_base(Decimal(net or 0), currency, rates)
                continue
            if status not in by_status:
                continue
            by_status[status]["count"] += count
            by_status[status]["value"] += round_money(
                to_base(Decimal(net or 0), currency, rates)
            )
            if status in ages:
                ages[status][bucket] += count
    return by_status, ages, (sent_count, sent_listed, sent_net)


def _aware(value) -> datetime:
    """A datetime read by raw SQL: PostgreSQL gives it aware, SQLite as text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=UTC) if timezone.is_naive(value) else value


def _turnaround_hours(events) -> list[float]:
    """Hours from each approval decided among `events` back to the request just
    before it: one pass over the approval events of those offers, each row carrying
    the latest request so far (a window function, not a subquery per decision)."""
    decisions = [S.APPROVED, S.REJECTED]
    decided = events.filter(to_status__in=decisions)
    offers_sql, offers_params = decided.values("offer_id").query.sql_with_params()
    decided_sql, decided_params = decided.values("pk").query.sql_with_params()
    sql = (
        "SELECT at, requested FROM (SELECT e.id, e.at, MAX(CASE WHEN e.to_status = %s "  # noqa: S608
        "THEN e.at END) OVER (PARTITION BY e.offer_id ORDER BY e.at, e.id "
        "ROWS UNBOUNDED PRECEDING) AS requested FROM offers_offerevent e "
        "WHERE e.to_status IN (%s, %s, %s) "
        f"AND e.offer_id IN ({offers_sql})) t "
        f"WHERE t.requested IS NOT NULL AND t.id IN ({decided_sql})"
    )
    params = [S.PENDING_APPROVAL, S.PENDING_APPROVAL, *decisions, *offers_params,
              *decided_params]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (_aware(at) - _aware(requested)).total_seconds() / 3600
        for at, requested in rows
    ]


def pipeline_report(scope: Scope, *, today: date) -> dict:
    start, end = _bounds(scope.start, scope.end)
    rates = exchange_rates()
    labels = dict(S.choices)
    chosen = (
        # open offers whatever their age; decided ones when made in the period
        Offer.objects.filter(
            Q(status__in=OPEN) | Q(created_at__gte=start),
            scope.of_accounts(),
            created_at__lt=end,
        )
        .exclude(status=S.SUPERSEDED)
        .order_by()
    )
    sent = Offer.objects.filter(
        scope.of_accounts(), sent_at__gte=start, sent_at__lt=end
    ).order_by()
    by_status, ages, (sent_count, listed, net) = _offer_values(
        chosen, sent, today, rates
    )

    # decisions in the period, from the offers' event log
    events = OfferEvent.objects.filter(
        scope.of_accounts("offer__account"), at__gte=start, at__lt=end
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
    turnaround = _turnaround_hours(events)
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
