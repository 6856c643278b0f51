"""The steps of the nightly job. Each takes a chunk of locked contract ids and the
business date, works set-based and returns what it did; the runner owns the
transactions, the chunking and the failures.

Every step re-checks its condition on the locked rows, so a second run (or a
second worker) finds nothing left to do.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    DateField,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.services import activity, todos
from catalog import pricing
from catalog.pricing import HUNDRED, line_net, round_money
from catalog.selectors import sale_prices
from contracts.models import (
    Contract,
    ContractLine,
    ContractTerm,
    Subscription,
)
from contracts.services import billing
from contracts.services import contracts as contract_services
from kam.core import services as core_services
from kam.core.bulk import (
    db_datetime,
    history_snapshot,
    id_list,
    insert_rows,
    update_rows,
)
from kam.core.dates import local_datetime, show_date
from kam.core.i18n import Later
from renewals.models import Churn, RenewalConfig

ACTIVE = Subscription.Status.ACTIVE
TRIAL = Subscription.Status.TRIAL
RUNNING = Contract.RUNNING
REASON = "nightly renewal job"


@dataclass
class Result:
    """What one chunk did; merged into the run only when its transaction commits."""

    counts: Counter = field(default_factory=Counter)
    invoice_ids: list[int] = field(default_factory=list)
    term_ids: list[int] = field(default_factory=list)


# --- start: finalized contracts whose term began ---------------------------


def start_due(day: date, after: int = 0) -> QuerySet:
    return Contract.objects.filter(
        status=Contract.Status.FINALIZED, start_on__lte=day, pk__gt=after
    )


def start(ids: list[int], day: date, config: RenewalConfig) -> Result:
    result = Result()
    result.counts["started"] = contract_services.contracts_start_due(today=day, pks=ids)
    return result


# --- trials: paid at the end of the trial -----------------------------------


def _trials(day: date):
    return Subscription.objects.filter(status=TRIAL, trial_ends_on__lt=day)


def trials_due(day: date, after: int = 0) -> QuerySet:
    trials = _trials(day).filter(contract_id__gt=after).order_by()
    return Contract.objects.filter(
        pk__gt=after, pk__in=Subquery(trials.values("contract_id"))
    )


def trials(ids: list[int], day: date, config: RenewalConfig) -> Result:
    result = Result()
    now = timezone.now()
    converted = list(
        _trials(day)
        .filter(contract_id__in=id_list(ids))
        .values_list("pk", "account_id", "contract__number", "trial_ends_on")
    )
    if not converted:
        return result
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
    result.counts["trials_converted"] = len(sub_ids)
    return result


# --- renew: standing orders whose term ended --------------------------------


def renew_due(day: date, after: int = 0) -> QuerySet:
    return Contract.objects.filter(
        status__in=RUNNING, auto_renew=True, end_on__lt=day, pk__gt=after
    )


def _new_prices(ids: list[int], config: RenewalConfig) -> dict[int, Decimal]:
    """New unit prices per contract line under the configured rule (changed only)."""
    if config.pricing == RenewalConfig.Pricing.CONTRACT:
        return {}
    lines = ContractLine.objects.filter(contract_id__in=ids).values_list(
        "pk", "product_id", "unit_price", "contract__currency"
    )
    factor = (HUNDRED + config.uplift_percent) / HUNDRED
    prices = {}
    if config.pricing == RenewalConfig.Pricing.LIST:
        prices = sale_prices(
            ContractLine.objects.filter(contract_id__in=ids).values("product_id")
        )
    new = {}
    for pk, product_id, unit_price, currency in lines:
        capped = round_money(unit_price * factor)
        if config.pricing == RenewalConfig.Pricing.UPLIFT:
            price = capped
        else:
            price = prices.get((product_id, currency), unit_price)
            if config.uplift_percent and price > capped:
                price = capped
        if price != unit_price:
            new[pk] = price
    return new


def _reprice(ids: list[int], config: RenewalConfig, now) -> None:
    """Apply the renewal price rule to the lines and their subscriptions."""
    prices = _new_prices(ids, config)
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


def _arr(ids: list[int]) -> dict[int, Decimal]:
    return dict(
        Subscription.objects.filter(
            contract_id__in=id_list(ids), status__in=[ACTIVE, TRIAL]
        )
        .values("contract_id")
        .annotate(mrr=Sum("mrr"))
        .values_list("contract_id", "mrr")
    )


def renew(ids: list[int], day: date, config: RenewalConfig) -> Result:
    result = Result()
    now = timezone.now()
    contracts = list(
        renew_due(day)
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
        return result
    pks = [c[0] for c in contracts]
    old_arr = _arr(pks)
    new_arr = old_arr
    if config.pricing != RenewalConfig.Pricing.CONTRACT:
        _reprice(pks, config, now)
        new_arr = _arr(pks)
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
        # the one date rule (kam.core.dates), computed once per group of equal dates:
        # counted from the contract's first day, so terms never drift
        start_on = end_on + timedelta(days=1)
        new_end = pricing.term_end(anchors[key], start_on, months)
        cancel_by = contract_services.cancel_by_date(
            end_on=new_end, notice_days=notice, auto_renew=True
        )
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
    result.term_ids = insert_rows(
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
    result.counts["renewed"] = len(pks)
    return result


# --- billing: subscriptions whose next billing date is due -----------------


def billing_due(day: date, after: int = 0) -> QuerySet:
    # no ORDER BY in the subquery: a sort of every due row per chunk otherwise
    billable = (
        billing.billable_subscriptions(day).filter(contract_id__gt=after).order_by()
    )
    return Contract.objects.filter(
        pk__gt=after, pk__in=Subquery(billable.values("contract_id"))
    )


def _bill_once(ids: list[int], day: date, now, result: Result) -> bool:
    """One billing pass through the contracts app's writer; False if nothing was
    due, True if a period is still due after it."""
    invoice_ids, lines, again = billing.subscriptions_bill_due(ids, day, now=now)
    if not invoice_ids:
        return False
    result.invoice_ids.extend(invoice_ids)
    result.counts["invoices"] += len(invoice_ids)
    result.counts["invoice_lines"] += lines
    return again


def bill(ids: list[int], day: date, config: RenewalConfig) -> Result:
    result = Result()
    now = timezone.now()
    # one period per pass: a subscription behind by several periods (catch-up)
    # gets one invoice per period, oldest first
    for _pass in range(400):
        if not _bill_once(ids, day, now, result):
            break
    return result


# --- renewal offers: contracts without a standing order nearing their end ---


def offers_due(day: date, after: int = 0) -> QuerySet:
    horizon = day + timedelta(days=RenewalConfig.get().lead_days)
    return Contract.objects.filter(
        Q(cancel_by__lte=horizon) | Q(cancel_by__isnull=True, end_on__lte=horizon),
        status__in=RUNNING,
        auto_renew=False,
        renewal_offer__isnull=True,
        end_on__gte=day,
        renewal__isnull=True,
        pk__gt=after,
    )


def offers(ids: list[int], day: date, config: RenewalConfig) -> Result:
    result = Result()
    for contract in (
        offers_due(day).filter(pk__in=ids).select_related("account", "account__owner")
    ):
        owner = contract.account.owner
        # the draft is the KAM's to check and send
        offer = contract_services.offer_create_from_contract(
            contract=contract, actor=owner
        )
        todos.task_create(
            title=_("Renewal offer %(offer)s for %(account)s: check and send")
            % {"offer": offer.label, "account": contract.account.name},
            notes=_(
                "Contract %(number)s ends on %(end)s without a standing order. The "
                "draft offer has the old package at today's prices; compare it on "
                "the contract page before sending."
            )
            % {"number": contract.number, "end": show_date(contract.end_on)},
            # on the KAM's home from the morning it is made
            due_at=local_datetime(day, 9),
            assignee=owner,
            actor=None,
            account=contract.account,
            related=offer,
        )
        core_services.notification_create(
            user=owner,
            title=_("Renewal offer drafted: %(account)s")
            % {"account": contract.account.name},
            body=_("%(number)s ends on %(end)s.")
            % {"number": contract.number, "end": show_date(contract.end_on)},
            url=contract.get_absolute_url(),
            dedupe_key=f"renewal-offer:{contract.pk}",
        )
        result.counts["renewal_offers"] += 1
    return result


# --- close: contracts that ended unrenewed; accounts left without one -------


def close_due(day: date, after: int = 0) -> QuerySet:
    return Contract.objects.filter(
        status__in=RUNNING, auto_renew=False, end_on__lt=day, pk__gt=after
    )


def close(ids: list[int], day: date, config: RenewalConfig) -> Result:
    result = Result()
    arr = _arr(ids)
    closed = contract_services.contracts_end_due(today=day, pks=ids)
    result.counts["ended"] = len(closed["ended"])
    result.counts["renewed_by_offer"] = len(closed["renewed"])
    ended = closed["ended"]
    if not ended:
        return result
    by_account = defaultdict(list)
    currencies = {}
    for pk, account_id, currency in Contract.objects.filter(pk__in=ended).values_list(
        "pk", "account_id", "currency"
    ):
        by_account[account_id].append(pk)
        currencies[pk] = currency
    still_served = set(
        Contract.objects.filter(
            account_id__in=list(by_account),
            status__in=[*Contract.OPEN, *Contract.RUNNING],
        ).values_list("account_id", flat=True)
    )
    lost = list(
        Account.objects.select_related("owner").filter(
            pk__in=[a for a in by_account if a not in still_served],
            lifecycle__in=[Account.Lifecycle.CUSTOMER, Account.Lifecycle.WON_BACK],
        )
    )
    if not lost:
        return result
    Account.objects.filter(pk__in=[a.pk for a in lost]).update(
        lifecycle=Account.Lifecycle.LOST, updated_at=timezone.now()
    )
    Churn.objects.bulk_create(
        [
            Churn(
                account=account,
                contract_id=max(by_account[account.pk]),
                lost_on=day,
                lost_arr=sum(
                    (arr.get(pk) or Decimal(0) for pk in by_account[account.pk]),
                    Decimal(0),
                )
                * 12,
                currency=currencies[max(by_account[account.pk])],
            )
            for account in lost
        ],
        ignore_conflicts=True,
    )
    for account in lost:
        todos.task_create(
            title=_("%(account)s is lost: record why") % {"account": account.name},
            notes=_(
                "The last contract ended without a renewal. Record the churn reason "
                "on the recovery list and plan a win-back."
            ),
            due_at=local_datetime(day + timedelta(days=7), 9),
            assignee=account.owner,
            actor=None,
            account=account,
        )
        core_services.notification_create(
            user=account.owner,
            title=_("Lost: %(account)s") % {"account": account.name},
            body=_("No running contract left. Please record the churn reason."),
            url="/renewals/recovery/",
            dedupe_key=f"lost:{account.pk}:{day.isoformat()}",
        )
    result.counts["accounts_lost"] = len(lost)
    return result


# what the runs count, always reported (0 when nothing happened)
COUNT_KEYS = (
    "started",
    "trials_converted",
    "renewed",
    "invoices",
    "invoice_lines",
    "renewal_offers",
    "ended",
    "renewed_by_offer",
    "accounts_lost",
)

# the job's steps in order: name, due contracts for a date, the chunk worker
STEPS = [
    ("start", start_due, start),
    ("trials", trials_due, trials),
    ("renew", renew_due, renew),
    ("billing", billing_due, bill),
    ("offers", offers_due, offers),
    ("close", close_due, close),
]
