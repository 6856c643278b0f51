"""The offer pipeline: offers by status and age, win rate, average discount and
how long approvals take."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from statistics import median

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from catalog.models import money
from catalog.selectors import exchange_rates, to_base
from insights.filters import Scope
from offers.models import Offer, OfferEvent, OfferLine

ZERO = Decimal("0")
HUNDRED = Decimal("100")
S = Offer.Status
OPEN = [S.DRAFT, S.PENDING_APPROVAL, S.APPROVED, S.REJECTED, S.SENT]
DECIDED = [S.ACCEPTED, S.DECLINED, S.EXPIRED]
# age buckets of open offers, in days since they were created
AGES = [(7, "0–7"), (30, "8–30"), (90, "31–90"), (None, "> 90")]
MONEY = DecimalField(max_digits=20, decimal_places=4)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def _age_bucket(days: int) -> str:
    for limit, label in AGES:
        if limit is None or days <= limit:
            return label
    return AGES[-1][1]


def option_values(offers) -> dict[int, tuple[Decimal, Decimal]]:
    """Per offer: (list value, net value) of its largest option, in offer currency.

    `offers` is a queryset of offer ids: it joins as a subquery, however many.
    """
    best: dict[int, tuple[Decimal, Decimal]] = {}
    gross_list = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY)
    discount = ExpressionWrapper(
        F("quantity") * F("unit_price") * F("discount_percent") / HUNDRED,
        output_field=MONEY,
    )
    for offer_id, listed, off in (
        OfferLine.objects.filter(option__offer_id__in=offers)
        .order_by()
        .values_list("option__offer_id", "option_id")
        .annotate(listed=Sum(gross_list), off=Sum(discount))
        .values_list("option__offer_id", "listed", "off")
    ):
        net = listed - off
        if offer_id not in best or net > best[offer_id][1]:
            best[offer_id] = (money(listed), money(net))
    return best


def pipeline_report(scope: Scope, *, today: date) -> dict:
    start, end = _bounds(scope.start, scope.end)
    rates = exchange_rates()
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
    offers = list(chosen.values_list("pk", "status", "currency", "created_at"))
    values = option_values(chosen.values("pk"))
    labels = dict(S.choices)
    by_status = {
        s: {"status": s, "label": labels[s], "count": 0, "value": ZERO}
        for s in [*OPEN, *DECIDED]
    }
    ages = {s: dict.fromkeys((label for _l, label in AGES), 0) for s in OPEN}
    for pk, status, currency, created_at in offers:
        value = to_base(values.get(pk, (ZERO, ZERO))[1], currency, rates)
        by_status[status]["count"] += 1
        by_status[status]["value"] += money(value)
        if status in ages:
            days = (today - timezone.localtime(created_at).date()).days
            ages[status][_age_bucket(days)] += 1

    # decisions and approvals in the period, from the offers' event log
    events = defaultdict(list)
    for offer_id, to_status, at in (
        OfferEvent.objects.filter(
            offer__account_id__in=scope.account_ids,
            at__lt=end,
            to_status__in=[S.PENDING_APPROVAL, S.APPROVED, S.REJECTED, *DECIDED],
        )
        .order_by("offer_id", "at", "pk")
        .values_list("offer_id", "to_status", "at")
    ):
        events[offer_id].append((to_status, at))
    won = lost = 0
    turnaround = []
    for history in events.values():
        asked = None
        for to_status, at in history:
            if to_status == S.PENDING_APPROVAL:
                asked = at
            elif to_status in (S.APPROVED, S.REJECTED):
                if asked and at >= start:
                    turnaround.append((at - asked).total_seconds() / 3600)
                asked = None
            elif at >= start:
                won += to_status == S.ACCEPTED
                lost += to_status != S.ACCEPTED

    # average discount of what was sent in the period, weighted by list value
    sent_offers = Offer.objects.filter(
        account_id__in=scope.account_ids, sent_at__gte=start, sent_at__lt=end
    ).order_by()
    sent = list(sent_offers.values_list("pk", "currency"))
    sent_values = option_values(sent_offers.values("pk"))
    listed = net = ZERO
    for pk, currency in sent:
        value = sent_values.get(pk)
        if value:
            listed += to_base(value[0], currency, rates)
            net += to_base(value[1], currency, rates)
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
        "win_rate": (
            (Decimal(won) / Decimal(won + lost) * HUNDRED).quantize(Decimal("0.1"))
            if won + lost
            else None
        ),
        "sent_count": len(sent),
        "avg_discount": (
            ((listed - net) / listed * HUNDRED).quantize(Decimal("0.1"))
            if listed
            else None
        ),
        "approvals": len(turnaround),
        "turnaround_median_h": round(median(turnaround), 1) if turnaround else None,
        "turnaround_mean_h": (
            round(sum(turnaround) / len(turnaround), 1) if turnaround else None
        ),
    }
