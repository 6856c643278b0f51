"""Renewal terms follow the one date rule (kam.core.dates) at month ends and in
leap years: consecutive terms never overlap nor leave a gap."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from contracts.models import Contract, ContractTerm, Subscription
from kam.core.dates import add_months, period_end
from tests.renewals.conftest import clone, run_on


@given(
    end=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    months=st.sampled_from([1, 3, 6, 12, 24]),
    renewals=st.integers(min_value=1, max_value=30),
)
def test_renewal_terms_are_consecutive(end, months, renewals):
    start = end + timedelta(days=1)
    for _ in range(renewals):
        new_end = period_end(start, months)
        assert new_end >= start
        assert new_end + timedelta(days=1) == add_months(start, months)
        start = new_end + timedelta(days=1)


def _renew(standing, end_on: date, months: int):
    """A copy of `standing` whose term (and its record) runs 28 days up to `end_on`,
    renewed by the job on the day after. Moving the contract without its term broke
    when the fixture's own term (from the first of next month) was the very term the
    job was to make (issue 19: red on 29 February 2028)."""
    contract = clone(standing, 1)[0]
    start_on = end_on - timedelta(days=27)
    Contract.objects.filter(pk=contract.pk).update(
        end_on=end_on, renewal_months=months, start_on=start_on
    )
    ContractTerm.objects.filter(contract=contract).update(
        start_on=start_on, end_on=end_on
    )
    Subscription.objects.filter(contract=contract).update(
        end_on=end_on, next_billing_on=None, start_on=start_on
    )
    run_on(end_on + timedelta(days=1))
    contract.refresh_from_db()
    return contract


def test_a_term_from_29_february_renews_to_28_february(cast, standing):
    contract = _renew(standing, date(2028, 2, 28), 12)  # next term starts 29 Feb
    assert contract.end_on == date(2029, 2, 27)  # 29 Feb + 1 year = 28 Feb, -1 day
    contract = _renew(standing, date(2028, 2, 29), 12)  # next term starts 1 Mar
    assert contract.end_on == date(2029, 2, 28)


def test_a_monthly_term_from_31_january(cast, standing):
    contract = _renew(standing, date(2027, 1, 30), 1)  # next term starts 31 Jan
    assert contract.end_on == date(2027, 2, 27)  # 31 Jan + 1 month = 28 Feb, -1 day
    line = contract.subscriptions.get().invoice_lines.get(
        period_start=date(2027, 1, 31)
    )
    assert line.period_end == date(2027, 2, 27)
    run_on(date(2027, 2, 28))
    contract.refresh_from_db()
    assert contract.end_on == date(2027, 3, 27)
    assert contract.terms.count() == 3
