"""The steps of the nightly job. Each takes a chunk of locked contract ids and the
business date, works set-based and returns what it did; the runner owns the
transactions, the chunking and the failures.

Every step re-checks its condition on the locked rows, so a second run (or a
second worker) finds nothing left to do.
"""

import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.services import todos
from catalog.pricing import HUNDRED, round_money
from catalog.selectors import sale_prices
from contracts.models import (
    Contract,
    ContractLine,
)
from contracts.services import billing, lifecycle, nightly
from core import services as core_services
from core.dates import local_datetime, show_date
from renewals.models import Churn, RenewalConfig

RUNNING = Contract.RUNNING


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
    result.counts["started"] = lifecycle.contracts_start_due(today=day, pks=ids)
    return result


# --- trials: paid at the end of the trial -----------------------------------


def trials_due(day: date, after: int = 0) -> QuerySet:
    trials = nightly.trials_ended(day).filter(contract_id__gt=after).order_by()
    return Contract.objects.filter(
        pk__gt=after, pk__in=Subquery(trials.values("contract_id"))
    )


def trials(ids: list[int], day: date, config: RenewalConfig) -> Result:
    result = Result()
    result.counts["trials_converted"] = nightly.subscriptions_convert_trials(ids, day)
    return result


# --- renew: standing orders whose term ended --------------------------------


def renew_due(day: date, after: int = 0) -> QuerySet:
    return nightly.renewable(day).filter(pk__gt=after)


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


def renew(ids: list[int], day: date, config: RenewalConfig) -> Result:
    """Renew the due standing orders through the contracts app, at the renewal's
    prices (RenewalConfig: the contract's, list prices, or an uplift, capped)."""
    result = Result()
    prices = None
    if config.pricing != RenewalConfig.Pricing.CONTRACT:
        prices = functools.partial(_new_prices, config=config)
    result.counts["renewed"], result.term_ids = nightly.contracts_renew(
        ids, day, prices=prices
    )
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
        offer = lifecycle.offer_create_from_contract(contract=contract, actor=owner)
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
    arr = nightly.contracts_arr(ids)
    closed = lifecycle.contracts_end_due(today=day, pks=ids)
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
