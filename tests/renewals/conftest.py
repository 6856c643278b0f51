from datetime import date, timedelta

import pytest

from contracts.models import Contract
from renewals.services import run
from tests.contracts.helpers import contract_for


def day_after(d: date, days: int = 1) -> date:
    return d + timedelta(days=days)


@pytest.fixture
def standing(cast):
    """A finalized standing order: 12 months billed yearly, 5 seats at 360."""
    return contract_for(cast.kam, finalize_by=cast.cs)


@pytest.fixture
def fixed(cast):
    """A finalized contract without a standing order."""
    contract = contract_for(cast.kam2, finalize_by=cast.cs)
    Contract.objects.filter(pk=contract.pk).update(auto_renew=False, cancel_by=None)
    contract.refresh_from_db()
    return contract


def run_on(day: date, **kwargs):
    """Run the job for exactly one business date; return its batch."""
    results = run.renewals_run(business_date=day, catch_up=False, **kwargs)
    return results[-1][1]


def clone(contract: Contract, n: int) -> list[Contract]:
    """Copy a finalized contract (lines, subscriptions, first term) n times, fast."""
    from contracts.models import ContractLine, ContractTerm, Subscription

    copies = []
    for _i in range(n):
        lines = list(ContractLine.objects.filter(contract=contract))
        subs = {
            s.contract_line_id: s
            for s in Subscription.objects.filter(contract=contract)
        }
        term = (
            ContractTerm.objects.filter(contract=contract).order_by("sequence").first()
        )
        copy = Contract.objects.get(pk=contract.pk)
        copy.pk = None
        copy.number = f"{contract.number}-{Contract.objects.count()}"
        copy.offer = None
        copy.option = None
        copy.save()
        for line in lines:
            sub = subs.get(line.pk)  # before the copy gets its own pk
            line.pk = None
            line.contract = copy
            line.save()
            if sub is not None:
                sub.pk = None
                sub.contract = copy
                sub.contract_line = line
                sub.save()
        if term is not None:
            term.pk = None
            term.contract = copy
            term.save()
        copies.append(copy)
    return copies
