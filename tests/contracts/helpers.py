"""Contracts for tests: `contract_for` from the factories (an accepted offer's rows,
then the contract's own writers), `contract_with` the way users make them (offer →
accept → sign → finalize), for the price tests that need the offer's pricing."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from contracts.models import Contract
from contracts.services import acceptance, lifecycle
from contracts.services import signing as contract_signing
from offers.services import approval as offer_approval
from offers.services import building as offer_building
from offers.services import sending as offer_sending
from tests.factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    PriceFactory,
    ProductFactory,
)


def product(code="SEAT", price="360.00", **extra):
    item = ProductFactory(code=code, name=f"{code.title()} licence", **extra)
    if not item.prices.exists():
        PriceFactory(product=item, list_price=Decimal(price))
    return item


def contract_for(
    kam, *, account=None, contact=None, finalize_by=None, sign=True
) -> Contract:
    """A contract of `kam`'s, sent for signature, signed unless `sign` is False,
    finalized by `finalize_by`: from an accepted offer written by the factory (the
    offer's own flow is the offers tests' to walk)."""
    account = account or AccountFactory(
        owner=kam, street="Hafenstr. 1", postal_code="20457", city="Hamburg",
        country="DE", legal_name="Hafen Medien GmbH",
    )  # fmt: skip
    contact = contact or ContactFactory(account=account, email="buyer@customer.example")
    return ContractFactory(
        offer__account=account,
        offer__contact=contact,
        offer__lines=[(product(), Decimal(5))],
        sent=not sign,
        signed=sign,
        finalized_by=finalize_by,
    )


def contract_by_flow(kam, *, account, contact, finalize_by=None) -> Contract:
    """A contract the way users make it, every e-mail and document on the way: the
    offer sent and accepted, the contract sent, signed (and finalized)."""
    offer = offer_building.offer_create(
        account=account, contact=contact, actor=kam, title="Seats",
        valid_until=timezone.localdate() + timedelta(days=30),
    )  # fmt: skip
    offer_building.line_add(
        option=offer.options.get(), actor=kam, product=product(), quantity=Decimal(5)
    )
    offer_sending.offer_send(offer=offer, actor=kam)
    acceptance.offer_accept(
        offer=offer, option=offer.options.get(), name="Buyer", ip="192.0.2.1"
    )
    contract = contract_signing.contract_send(
        contract=Contract.objects.get(offer=offer)
    )
    contract = contract_signing.contract_sign(
        contract=contract, name="Buyer", agreed=True
    )
    if finalize_by:
        contract = lifecycle.contract_finalize(contract=contract, actor=finalize_by)
    return contract


def contract_with(
    kam,
    cs,
    *,
    start_on,
    lines,
    months=12,
    billing_period="monthly",
    currency="EUR",
    auto_renew=True,
) -> Contract:
    """A contract made and finalized through the offer flow with priced lines.

    `lines` are (code, price unit, list price, quantity, discount %); the unit is
    one_off (a service) or the product's billing period.
    """
    account = AccountFactory(
        owner=kam, street="Hafenstr. 1", postal_code="20457", city="Hamburg",
        country="DE", legal_name="Hafen Medien GmbH", currency=currency,
    )  # fmt: skip
    contact = ContactFactory(account=account, email="buyer@customer.example")
    offer = offer_building.offer_create(
        account=account,
        contact=contact,
        actor=kam,
        title="Priced",
        start_on=start_on,
        duration_months=months,
        billing_period=billing_period,
        auto_renew=auto_renew,
    )
    option = offer.options.get()
    for code, unit, price, quantity, discount in lines:
        kind = {"one_off": "service"}.get(unit, "subscription")
        item = ProductFactory(
            code=code, kind=kind, billing_period="" if unit == "one_off" else unit
        )
        if not item.prices.filter(currency=currency).exists():
            PriceFactory(product=item, currency=currency, list_price=Decimal(price))
        offer_building.line_add(
            option=option,
            actor=kam,
            product=item,
            quantity=Decimal(quantity),
            discount_percent=Decimal(discount),
        )
    offer.refresh_from_db()
    if offer.needs_approval or offer_approval.approval_reasons(offer):
        from offers.models import Offer

        Offer.objects.filter(pk=offer.pk).update(
            needs_approval=True, approved_by=cs, status="approved"
        )
        offer.refresh_from_db()
    offer_sending.offer_send(offer=offer, actor=kam)
    acceptance.offer_accept(offer=offer, option=option, name="Buyer", ip="192.0.2.1")
    contract = contract_signing.contract_send(
        contract=Contract.objects.get(offer=offer)
    )
    contract = contract_signing.contract_sign(
        contract=contract, name="Buyer", agreed=True
    )
    return lifecycle.contract_finalize(contract=contract, actor=cs)
