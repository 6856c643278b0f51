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
