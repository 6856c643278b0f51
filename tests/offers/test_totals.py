"""Money: each line is rounded half up to cents, then lines are summed."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from catalog import pricing
from catalog.pricing import round_money
from offers.models import OfferLine
from offers.models import totals_of as totals_from


def line(qty, price, discount, tax=Decimal("19"), unit="yearly"):
    return OfferLine(
        quantity=qty,
        unit_price=price,
        discount_percent=discount,
        tax_rate=tax,
        price_unit=unit,
    )


def test_rounding_rule_by_hand():
    # 3 × 33.33 = 99.99; −12.5 % = 87.49125 → 87.49; tax 19 % of 87.49 = 16.6231 → 16.62
    item = line(Decimal("3"), Decimal("33.33"), Decimal("12.5"))
    assert (item.list_net, item.net, item.tax) == (
        Decimal("99.99"),
        Decimal("87.49"),
        Decimal("16.62"),
    )
    # half up: 0.125 → 0.13
    assert round_money(Decimal("0.125")) == Decimal("0.13")
    assert round_money(Decimal("-0.125")) == Decimal("-0.13")


def totals_of(lines):
    """An option's totals over unsaved lines: a year billed yearly, so each
    yearly line's net is billed once."""
    return totals_from(
        pricing.figures(
            lines, start_on=date(2027, 1, 1), months=12, billing_period="yearly"
        )
    )


money = st.decimals(min_value=0, max_value=100000, places=2)
qty = st.decimals(min_value=Decimal("0.01"), max_value=10000, places=2)
pct = st.decimals(min_value=0, max_value=100, places=2)
tax = st.sampled_from([Decimal("0"), Decimal("7"), Decimal("19"), Decimal("20")])


@given(st.lists(st.tuples(qty, money, pct, tax), min_size=1, max_size=12))
def test_option_totals_are_sums_of_rounded_lines(rows):
    lines = [line(*row) for row in rows]
    totals = totals_of(lines)
    assert totals["net"] == sum(item.net for item in lines)
    # tax as printed on the invoice: rounded once per rate
    assert (
        totals["tax"] == pricing.invoice_totals((i.net, i.tax_rate) for i in lines)[1]
    )
    assert totals["gross"] == totals["net"] + totals["tax"]
    assert totals["list"] >= totals["net"] >= 0
    assert totals["discount"] == totals["list"] - totals["net"]
    for key, value in totals.items():
        assert key == "figures" or isinstance(value, Decimal)
    for item in lines:
        assert item.net == item.net.quantize(Decimal("0.01"))
        assert abs(
            item.net
            - item.quantity * item.unit_price * (100 - item.discount_percent) / 100
        ) <= Decimal("0.005")


@given(qty, money)
def test_no_discount_means_net_equals_list(quantity, price):
    item = line(quantity, price, Decimal("0"))
    assert item.net == item.list_net
