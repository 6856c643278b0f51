"""Every invoice equals what the customer accepted and signed (catalog.pricing).

Offers with lines priced per month, quarter, year or once, in any currency, with
discounts and tax rates, starting on any day, go through acceptance, signature,
finalization and the nightly job for their first term and a year of renewals.
Every invoice line must be the planned line of the signed figures, and the
invoices of a term must add up to the signed term total to the cent.
"""

import itertools
from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import pricing
from contracts import selectors as contract_selectors
from contracts.models import Invoice, InvoiceLine
from core.dates import add_months
from tests.contracts.helpers import contract_with
from tests.renewals.conftest import run_on

codes = itertools.count(1)

line_strategy = st.tuples(
    st.sampled_from(["one_off", "monthly", "quarterly", "yearly"]),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("4999.99"), places=2),
    st.integers(min_value=1, max_value=40),
    st.sampled_from([0, 0, 5, 12.5, 33]),
)


def _billed(contract, start, end):
    """{(contract line, period start): (net, period end, prorated)} billed in a span."""
    return {
        (x.contract_line_id, x.period_start): (x.net, x.period_end, x.is_prorated)
        for x in InvoiceLine.objects.filter(
            invoice__contract=contract, period_start__gte=start, period_start__lte=end
        )
    }


def _planned(figures, contract):
    """The planned lines keyed like `_billed`: the offer's lines become the
    contract's (in their order; their ids need not match)."""
    as_contract = dict(
        zip(
            (f.line.pk for f in figures.lines),
            contract.lines.values_list("pk", flat=True),
            strict=True,
        )
    )
    out = {}
    for invoice in figures.invoices:
        for planned in invoice.lines:
            key = as_contract[planned.line.pk]
            out[(key, planned.period.start if planned.period else None)] = (
                planned.net,
                planned.period.end if planned.period else None,
                bool(planned.period and planned.period.is_prorated),
            )
    return out


def _one_offs(contract):
    return {
        (x.contract_line_id, None): (x.net, None, False)
        for x in InvoiceLine.objects.filter(
            invoice__contract=contract, period_start__isnull=True
        )
    }


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=4),
    currency=st.sampled_from(["EUR", "CHF", "GBP", "USD"]),
    days_ahead=st.integers(min_value=1, max_value=800),
    month_end=st.sampled_from([None, None, 28, 29, 30, 31]),
    billing=st.sampled_from(["monthly", "quarterly", "yearly"]),
    months=st.sampled_from([12, 12, 24, 6, 14]),
)
def test_every_invoice_line_equals_the_signed_figures(
    cast, lines, currency, days_ahead, month_end, billing, months
):
    # a start after the run's date (an offer accepted late starts that day), often
    # on a month's last days, where periods could drift
    start = timezone.localdate() + timedelta(days=days_ahead)
    if month_end:
        start = start.replace(
            day=min(month_end, monthrange(start.year, start.month)[1])
        )
    n = next(codes)
    contract = contract_with(
        cast.kam,
        cast.cs,
        start_on=start,
        months=months,
        billing_period=billing,
        currency=currency,
        lines=[
            (f"P{n}-{i}", unit, str(price), qty, disc)
            for i, (unit, price, qty, disc) in enumerate(lines)
        ],
    )
    signed = contract.option.figures()
    assert all(c.ok for c in contract_selectors.contract_checks(contract))
    # the first term, billed by finalization and the nightly job
    term_end = signed.end_on
    assert contract.end_on == term_end
    run_on(term_end)
    billed = _billed(contract, start, term_end) | _one_offs(contract)
    assert billed == _planned(signed, contract)
    invoices = Invoice.objects.filter(contract=contract)
    assert invoices.count() == len(signed.invoices)
    assert sum(i.net for i in invoices) == signed.term.net
    assert sum(i.gross for i in invoices) == signed.term.gross
    # a year of renewals: each renewal term is planned from the same lines
    renewal_months = contract.renewal_months
    term_start = term_end + timedelta(days=1)
    horizon = add_months(term_start, 12)
    while term_start < horizon:
        run_on(term_start)  # renews, bills the new term's first period
        contract.refresh_from_db()
        renewal = pricing.figures(
            contract.lines.all(),
            start_on=term_start,
            months=renewal_months,
            billing_period=billing,
            anchor=start,
            first_term=False,
        )
        assert contract.end_on == renewal.end_on
        run_on(renewal.end_on)
        assert _billed(contract, term_start, renewal.end_on) == _planned(
            renewal, contract
        )
        term_start = renewal.end_on + timedelta(days=1)
    # and nothing was billed twice
    periods = list(
        InvoiceLine.objects.filter(
            invoice__contract=contract, subscription__isnull=False
        ).values_list("subscription_id", "period_start")
    )
    assert len(periods) == len(set(periods))


def test_a_monthly_price_on_a_yearly_invoice_is_billed_twelve_times_and_shown_so(
    cast,
):
    # the defect: an item offered "at 1,275" (per month) was invoiced at 15,300
    # with nothing on the offer saying so
    contract = contract_with(
        cast.kam,
        cast.cs,
        start_on=date(2027, 1, 31),
        billing_period="yearly",
        lines=[("MON", "monthly", "1275.00", 1, 0), ("SETUP", "one_off", "500", 1, 0)],
    )
    signed = contract.option.figures()
    assert (signed.period.net, signed.year.net) == (Decimal("15300.00"),) * 2
    assert signed.one_off.net == Decimal("500.00")
    assert signed.term.net == Decimal("15800.00")
    invoice = Invoice.objects.get(contract=contract)
    assert invoice.net == signed.term.net
    assert invoice.gross == signed.term.gross


def test_the_prices_check_fails_when_billing_differs_from_what_was_signed(cast):
    from contracts.models import Contract, Subscription

    contract = contract_with(
        cast.kam,
        cast.cs,
        start_on=date(2027, 3, 1),
        billing_period="quarterly",
        lines=[("Q", "quarterly", "300.00", 2, 0)],
    )
    check = next(
        c for c in contract_selectors.contract_checks(contract) if c.name == "Prices"
    )
    assert check.ok
    Subscription.objects.filter(contract=contract).update(period_amount="2400.00")
    contract = Contract.objects.get(pk=contract.pk)
    check = next(
        c for c in contract_selectors.contract_checks(contract) if c.name == "Prices"
    )
    assert not check.ok and "600.00" in check.detail
    Contract.objects.filter(pk=contract.pk).update(billing_period="monthly")
    contract = Contract.objects.get(pk=contract.pk)
    check = next(
        c for c in contract_selectors.contract_checks(contract) if c.name == "Prices"
    )
    assert not check.ok
