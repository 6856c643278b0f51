"""Which product families each account owns, tries or lacks, and what they are worth.

Owned: an active subscription, or an order in the last 12 months, of a product of
the family. In trial: a running trial and not owned otherwise. Values are in EUR
per year (subscription ARR plus 12 months of orders).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from accounts.models import OrderLine
from catalog.selectors import exchange_rates, to_base
from contracts.models import Subscription

OWNED, TRIAL = "owned", "trial"
ZERO = Decimal("0")


@dataclass
class Ownership:
    state: dict[int, dict[int, str]] = field(default_factory=dict)  # acc -> fam -> st
    value: dict[int, dict[int, Decimal]] = field(default_factory=dict)  # EUR/year

    def of(self, account_id: int) -> dict[int, str]:
        return self.state.get(account_id, {})

    def owned(self, account_id: int) -> set[int]:
        return {f for f, s in self.of(account_id).items() if s == OWNED}


def family_ownership(account_ids, *, today: date) -> Ownership:
    """Two grouped queries, whatever the number of accounts."""
    rates = exchange_rates()
    state: dict[int, dict[int, str]] = defaultdict(dict)
    value: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    subs = (
        Subscription.objects.filter(
            account_id__in=account_ids,
            status__in=[Subscription.Status.ACTIVE, Subscription.Status.TRIAL],
        )
        .order_by()
        .values_list("account_id", "product__family_id", "status", "currency")
        .annotate(mrr=Sum("mrr"))
    )
    for account_id, family_id, status, currency, mrr in subs:
        if status == Subscription.Status.ACTIVE:
            state[account_id][family_id] = OWNED
            value[account_id][family_id] += to_base(mrr * 12, currency, rates)
        else:
            state[account_id].setdefault(family_id, TRIAL)
    orders = (
        OrderLine.objects.filter(
            account_id__in=account_ids, ordered_on__gt=today - timedelta(days=365)
        )
        .order_by()
        .values_list("account_id", "product__family_id", "currency")
        .annotate(net=Sum("net_amount"))
    )
    for account_id, family_id, currency, net in orders:
        state[account_id][family_id] = OWNED
        value[account_id][family_id] += to_base(net, currency, rates)
    return Ownership(dict(state), {a: dict(v) for a, v in value.items()})
