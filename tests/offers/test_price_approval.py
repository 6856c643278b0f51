"""A discount is measured against the list price, however it is given: a lower unit
price (down to zero) needs the same approval as a discount, and a reason."""

from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import ContractLine
from core.exceptions import ApplicationError
from offers.models import Offer, OfferLine
from offers.services import answers as offer_answers
from offers.services import approval as offer_approval
from offers.services import building as offer_building
from offers.services import sending as offer_sending
from tests.offers.helpers import ensure_defaults

pytestmark = pytest.mark.django_db
S = Offer.Status


@pytest.fixture(autouse=True)
def _rules():
    ensure_defaults()  # the approval rules (line discount above 15 %, …)


def seat_line(offer) -> OfferLine:
    return offer.options.first().lines.get()


@pytest.mark.parametrize("price", ["0.01", "0", "300.00"])
def test_a_lower_unit_price_is_a_discount_that_needs_approval(cast, offer, price):
    line = seat_line(offer)
    assert line.unit_price == line.list_price  # added at the list price
    # the attack: the price lowered, the discount left at 0, no reason given
    with pytest.raises(ApplicationError, match="say why this line costs"):
        offer_building.line_update(line=line, actor=cast.kam, unit_price=Decimal(price))
    line.refresh_from_db()
    assert line.unit_price == line.list_price  # nothing changed
    # with a reason it is saved, and it is a discount like any other
    offer_building.line_update(
        line=line, actor=cast.kam, unit_price=Decimal(price), price_reason="Pilot"
    )
    line.refresh_from_db()
    assert line.is_manual_price and line.price_reason == "Pilot"
    expected = (line.list_price - Decimal(price)) / line.list_price * 100
    assert line.effective_discount == expected.quantize(Decimal("0.01"))
    reasons = offer_approval.approval_reasons(offer)
    assert any(
        f"instead of the list price {line.list_price}" in r
        and f"effective discount of {line.effective_discount} %" in r
        for r in reasons
    ), reasons
    with pytest.raises(ApplicationError, match="approval"):
        offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    assert offer.status == S.DRAFT


def test_the_overall_discount_counts_the_lower_price(cast, offer):
    line = seat_line(offer)
    before = offer.options.first().totals()
    offer_building.line_update(
        line=line, actor=cast.kam, unit_price=line.list_price / 2, price_reason="x"
    )
    after = offer.options.first().totals()
    assert after["list"] == before["list"]  # the list value stays the list value
    assert after["discount_percent"] == Decimal("50.0")


def test_a_price_back_at_the_list_needs_no_reason_and_keeps_none(cast, offer):
    line = seat_line(offer)
    offer_building.line_update(
        line=line, actor=cast.kam, unit_price=Decimal("1"), price_reason="Pilot"
    )
    offer_building.line_update(line=line, actor=cast.kam, unit_price=line.list_price)
    line.refresh_from_db()
    assert not line.is_manual_price and line.price_reason == ""
    assert offer_approval.approval_reasons(offer) == []


def test_the_editor_asks_for_the_reason_and_keeps_the_new_price(client, cast, offer):
    line = seat_line(offer)
    client.force_login(cast.kam)
    url = reverse("offers:line-update", args=[offer.pk, line.pk])
    data = {"quantity": "10", "unit_price": "0.01", "discount_percent": "0"}
    html = client.post(url, data).content.decode()
    assert "say why this line costs 0.01" in html
    assert 'data-testid="price-reason"' in html and 'value="0.01"' in html
    line.refresh_from_db()
    assert line.unit_price == line.list_price
    html = client.post(url, data | {"price_reason": "Pilot for one team"}).content
    assert b'data-testid="needs-approval"' in html
    assert b'data-testid="list-price"' in html


def test_the_contract_keeps_the_list_price_and_the_reason(cast, offer):
    from contracts.services import lifecycle

    line = seat_line(offer)
    offer_building.line_update(line=line, actor=cast.kam, quantity=Decimal("1"))
    offer_building.line_update(
        line=line, actor=cast.kam, unit_price=line.list_price - 1, price_reason="Loyal"
    )  # 0.28 % off: under every threshold
    assert offer_approval.approval_reasons(offer) == []
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer_answers.offer_accept(
        offer=offer, option=offer.options.first(), name="Vera", ip="192.0.2.1"
    )
    lifecycle.contract_create_from_offer(offer=offer)
    copied = ContractLine.objects.get(contract__offer=offer)
    assert (copied.list_price, copied.price_reason) == (line.list_price, "Loyal")


def test_a_total_in_another_currency_is_compared_in_eur(cast, offer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import ExchangeRate
    from offers.models import ApprovalRule

    net = max(option.totals()["net"] for option in offer.options.all())
    ApprovalRule.objects.update(is_active=False)
    ApprovalRule.objects.create(
        name="Large", kind=ApprovalRule.Kind.TOTAL, threshold=net * Decimal("0.75")
    )
    # in EUR the offer's own total is compared, and no exchange rate is read
    with CaptureQueriesContext(connection) as queries:
        assert len(offer_approval.approval_reasons(offer)) == 1
    assert not any("exchangerate" in q["sql"] for q in queries.captured_queries)
    # in US dollars at 0.5 EUR the same figures are half as much: below the line
    Offer.objects.filter(pk=offer.pk).update(currency="USD")
    offer.refresh_from_db()
    ExchangeRate.objects.update_or_create(
        currency="USD", defaults={"rate_to_base": Decimal("0.5")}
    )
    assert offer_approval.approval_reasons(offer) == []
    ExchangeRate.objects.filter(currency="USD").update(rate_to_base=Decimal("0.9"))
    (reason,) = offer_approval.approval_reasons(offer)
    assert (
        f"a net total of {(net * Decimal('0.9')).quantize(Decimal('0.01'))} EUR"
        in reason
    )
