"""The contracts app's bulk writers for the nightly job: trials that end, terms
that renew, prices that change at renewal. The renewals app picks what is due,
locks it in chunks and calls these; it writes no contract, subscription or term
row itself (the invoices: contracts.services.billing.subscriptions_bill_due).
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DateField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.services import activity
from catalog import pricing
from catalog.pricing import HUNDRED, line_net
from contracts.models import Contract, ContractLine, ContractTerm, Subscription
from contracts.services.terms import cancel_by_date
from core.bulk import (
    db_datetime,
    history_snapshot,
    id_list,
    insert_rows,
    update_rows,
)
from core.i18n import Later

ACTIVE = Subscription.Status.ACTIVE
TRIAL = Subscription.Status.TRIAL
RUNNING = Contract.RUNNING
REASON = "nightly renewal job"


def trials_ended(day: date) -> QuerySet:
    """Subscriptions whose trial ended before `day`."""
    return Subscription.objects.filter(status=TRIAL, trial_ends_on__lt=day)


def subscriptions_convert_trials(ids, day: date, *, now=None) -> int:
    """Turn the ended trials of these contracts into paid subscriptions (the
    caller locks the contracts and owns the transaction); return how many."""
    now = now or timezone.now()
    converted = list(
        trials_ended(day)
        .filter(contract_id__in=id_list(ids))
        .values_list("pk", "account_id", "contract__number", "trial_ends_on")
    )
    if not converted:
        return 0
    sub_ids = [row[0] for row in converted]
    # the billing date was set to the day after the trial at finalization
    Subscription.objects.filter(pk__in=id_list(sub_ids)).update(
        status=ACTIVE, updated_at=now
    )
    history_snapshot(Subscription, sub_ids, history_type="~", reason=REASON, at=now)
    seen = {}
    for _pk, account_id, number, ends_on in converted:
        seen[number] = (account_id, ends_on)
    activity.timeline_events_bulk(
        [
            (
                account_id,
                Later(
                    gettext_noop("Trial of %(number)s converted to paid"),
                    number=number,
                ),
                Later(gettext_noop("The trial ended on %(date)s."), date=ends_on),
            )
            for number, (account_id, ends_on) in seen.items()
        ],
        now,
    )
    return len(sub_ids)


def renewable(day: date) -> QuerySet:
    """Standing orders whose term ended before `day`."""
    return Contract.objects.filter(status__in=RUNNING, auto_renew=True, end_on__lt=day)


def contract_lines_reprice(prices: dict[int, Decimal]) -> None:
    """Set new unit prices on contract lines (line id -> price) and the amounts of
    their running subscriptions, by the price model."""
    if not prices:
        return
    update_rows(ContractLine, ["unit_price"], list(prices.items()))
    subs = Subscription.objects.filter(
        contract_line_id__in=list(prices), status__in=[ACTIVE, TRIAL]
    ).values_list(
        "pk",
        "billing_period",
        "contract_line__quantity",
        "contract_line__unit_price",
        "contract_line__discount_percent",
        "contract_line__price_unit",
    )
    rows = []
    for pk, period, quantity, unit_price, discount, unit in subs:
        net = line_net(quantity, unit_price, discount)
        rows.append(
            (
                pk,
                pricing.per_period(net, unit, period),
                pricing.per_period(net, unit, "monthly"),
            )
        )
    update_rows(Subscription, ["period_amount", "mrr"], rows)


def contracts_arr(ids) -> dict[int, Decimal]:
    """Each contract's monthly recurring revenue (running subscriptions)."""
    return dict(
        Subscription.objects.filter(
            contract_id__in=id_list(ids), status__in=[ACTIVE, TRIAL]
        )
        .values("contract_id")
        .annotate(mrr=Sum("mrr"))
        .values_list("contract_id", "mrr")
    )


def contracts_renew(ids, day: date, *, prices=None, now=None) -> tuple[int, list[int]]:
    """Give these standing orders (those of them whose term ended) their next
    term: new end and cancel-by dates, subscriptions carried on, a term row each,
    a timeline event each. `prices(contract ids)` gives new unit prices per
    contract line (the renewal's price rule; None: the prices stay). The caller
    locks the contracts and owns the transaction. Returns (how many, term ids)."""
    now = now or timezone.now()
    contracts = list(
        renewable(day)
        .filter(pk__in=id_list(ids))
        .values_list(
            "pk",
            "account_id",
            "number",
            "end_on",
            "renewal_months",
            "notice_days",
            "start_on",
        )
    )
    if not contracts:
        return 0, []
    pks = [c[0] for c in contracts]
    old_arr = contracts_arr(pks)
    new_arr = old_arr
    if prices is not None:
        contract_lines_reprice(prices(pks))
        new_arr = contracts_arr(pks)
    # ordered by sequence: the last term of each contract wins
    last_terms = {
        contract_id: (term_id, sequence)
        for contract_id, term_id, sequence in ContractTerm.objects.filter(
            contract_id__in=id_list(pks)
        )
        .order_by("sequence")
        .values_list("contract_id", "pk", "sequence")
    }
    groups = defaultdict(list)
    anchors = {}
    for pk, _account, _number, end_on, months, notice, anchor in contracts:
        # a term's end depends on the anchor's day of the month only
        groups[(end_on, months, notice, anchor.day)].append(pk)
        anchors[(end_on, months, notice, anchor.day)] = anchor
    new_terms = {}
    for key, group in groups.items():
        end_on, months, notice, _day = key
        # the one date rule (core.dates), computed once per group of equal dates:
        # counted from the contract's first day, so terms never drift
        start_on = end_on + timedelta(days=1)
        new_end = pricing.term_end(anchors[key], start_on, months)
        cancel_by = cancel_by_date(end_on=new_end, notice_days=notice, auto_renew=True)
        Contract.objects.filter(pk__in=id_list(group)).update(
            end_on=new_end, cancel_by=cancel_by, updated_at=now
        )
        Subscription.objects.filter(
            contract_id__in=id_list(group), status__in=[ACTIVE, TRIAL]
        ).update(
            end_on=new_end,
            next_billing_on=Coalesce(
                "next_billing_on", Value(start_on, output_field=DateField())
            ),
            updated_at=now,
        )
        for pk in group:
            new_terms[pk] = (start_on, new_end, cancel_by)
    term_rows = []
    timeline = []
    for pk, account_id, number, _end, _months, _notice, _anchor in contracts:
        start_on, new_end, cancel_by = new_terms[pk]
        before = (old_arr.get(pk) or Decimal(0)) * 12
        after = (new_arr.get(pk) or Decimal(0)) * 12
        change = (
            ((after - before) / before * HUNDRED).quantize(Decimal("0.01"))
            if before
            else Decimal(0)
        )
        previous, sequence = last_terms.get(pk, (None, 1))
        term_rows.append(
            (
                pk,
                sequence + 1,
                ContractTerm.Kind.RENEWAL,
                previous,
                start_on,
                new_end,
                cancel_by,
                after,
                change,
                day,
                db_datetime(now),
            )
        )
        if change:
            summary = Later(
                gettext_noop("New term %(start)s – %(end)s. Prices %(change)s %%."),
                start=start_on,
                end=new_end,
                change=f"{change:+}",
            )
        else:
            summary = Later(
                gettext_noop("New term %(start)s – %(end)s."),
                start=start_on,
                end=new_end,
            )
        timeline.append(
            (
                account_id,
                Later(
                    gettext_noop("Contract %(number)s renewed until %(date)s"),
                    number=number,
                    date=new_end,
                ),
                summary,
            )
        )
    term_ids = insert_rows(
        ContractTerm,
        [
            "contract_id",
            "sequence",
            "kind",
            "previous_id",
            "start_on",
            "end_on",
            "cancel_by",
            "arr",
            "price_change_percent",
            "business_date",
            "created_at",
        ],
        term_rows,
        returning=True,
    )
    activity.timeline_events_bulk(timeline, now)
    # no django-simple-history rows for the bulk renewal: the term row (dates,
    # cancel-by, ARR, price change, business date, link to the term before) is
    # the record of what changed on the contract and its subscriptions
    return len(pks), term_ids
