"""Terms and billing periods are anchored to the contract's first day (the one date
rule, core.dates): they never drift at month ends nor in leap years, each term
has exactly its number of periods, and the job bills each period once."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog import pricing
from contracts.models import Invoice, InvoiceLine
from core.dates import boundary, period_end
from tests.clock import upcoming
from tests.contracts.helpers import contract_with
from tests.renewals.conftest import run_on

MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    months=st.sampled_from([1, 3, 6, 12, 24]),
    renewals=st.integers(min_value=1, max_value=30),
)
def test_renewal_terms_are_consecutive_and_counted_from_the_anchor(
    start, months, renewals
):
    term_start = start
    for k in range(1, renewals + 1):
        term_end = pricing.term_end(start, term_start, months)
        assert term_end >= term_start
        assert term_end + timedelta(days=1) == boundary(start, k * months)
        term_start = term_end + timedelta(days=1)


@pytest.mark.parametrize("day", [28, 29, 30, 31])
@pytest.mark.parametrize("billing", ["monthly", "quarterly", "yearly"])
@pytest.mark.parametrize("month", [1, 2, 3, 8, 11, 12])
@pytest.mark.parametrize("year", [2027, 2028])
def test_each_term_has_its_number_of_periods_on_the_anchor_day(
    day, billing, month, year
):
    if (
        day
        > [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
            month - 1
        ]
    ):
        pytest.skip("no such day")
    anchor = date(year, month, day)
    step = MONTHS[billing]
    term_start = anchor
    for term in range(3):
        term_end = pricing.term_end(anchor, term_start, 12)
        spans = pricing.periods(anchor, term_start, term_end, billing)
        assert len(spans) == 12 // step
        assert not [s for s in spans if s.is_prorated]
        assert spans[0].start == term_start and spans[-1].end == term_end
        for k, span in enumerate(spans):
            # every period starts on the anchor's day, or on the 1st after a
            # month too short for it; it ends the day before the next
            assert span.start == boundary(anchor, (term * 12) + k * step)
            assert span.start.day in (anchor.day, 1)
        for a, b in itertools.pairwise(spans):
            assert b.start == a.end + timedelta(days=1)
        term_start = term_end + timedelta(days=1)
    assert term_start == boundary(anchor, 36)


def test_the_31_january_example_of_the_readme():
    anchor = date(2027, 1, 31)
    spans = pricing.periods(anchor, anchor, period_end(anchor, 12), "monthly")
    assert [(s.start, s.end) for s in spans[:4]] == [
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 3, 1), date(2027, 3, 30)),
        (date(2027, 3, 31), date(2027, 4, 30)),
        (date(2027, 5, 1), date(2027, 5, 30)),
    ]
    assert (spans[-1].start, spans[-1].end) == (date(2027, 12, 31), date(2028, 1, 30))
    assert len(spans) == 12
    # a leap day: a year from 29 February ends on 28 February
    assert period_end(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert pricing.term_end(date(2028, 2, 29), date(2031, 3, 1), 12) == date(
        2032, 2, 28
    )


def test_a_term_that_is_no_whole_number_of_periods_ends_with_a_prorated_one():
    anchor = date(2027, 1, 31)
    spans = pricing.periods(anchor, anchor, period_end(anchor, 14), "quarterly")
    assert len(spans) == 5
    assert [s.is_prorated for s in spans] == [False] * 4 + [True]
    last = spans[-1]
    assert (last.start, last.end) == (date(2028, 1, 31), date(2028, 3, 30))
    assert (last.full_start, last.full_end) == (date(2028, 1, 31), date(2028, 4, 30))
    assert pricing.prorate(Decimal("910.00"), last) == Decimal("600.00")  # 60/91


@pytest.mark.parametrize(
    ("month", "day", "billing"),
    [(1, 31, "monthly"), (2, 29, "monthly"), (1, 30, "quarterly"), (2, 28, "yearly")],
    ids=["31jan-monthly", "29feb-monthly", "30jan-quarterly", "28feb-yearly"],
)
def test_the_job_bills_three_terms_on_the_anchor_without_drift(
    cast, month, day, billing
):
    # the next such day: an offer accepted after its start begins on the day of
    # acceptance, so a start the run has passed would not be that day any more
    start = upcoming(month, day)
    contract = contract_with(
        cast.kam,
        cast.cs,
        start_on=start,
        billing_period=billing,
        lines=[("SEAT", billing, "120.00", 2, 0)],
    )
    signed = contract.figures()
    term_start = start
    for term in range(3):
        term_end = pricing.term_end(start, term_start, 12)
        if term:
            run_on(term_start)  # renews the standing order, bills its first period
        run_on(term_end)  # bills every period due by the term's last day
        contract.refresh_from_db()
        assert contract.end_on == term_end
        lines = InvoiceLine.objects.filter(
            invoice__contract=contract,
            period_start__gte=term_start,
            period_start__lte=term_end,
        ).order_by("period_start")
        assert lines.count() == 12 // MONTHS[billing]
        assert [(x.period_start, x.period_end) for x in lines] == [
            (s.start, s.end)
            for s in pricing.periods(start, term_start, term_end, billing)
        ]
        assert all(not x.is_prorated for x in lines)
        assert sum(x.net for x in lines) == signed.term.net
        term_start = term_end + timedelta(days=1)
    # nothing billed twice, nothing left over past the third term
    assert (
        Invoice.objects.filter(contract=contract).count() == 3 * 12 // MONTHS[billing]
    )
