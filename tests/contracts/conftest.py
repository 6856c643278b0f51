from decimal import Decimal

import pytest
from django.core import mail

from contracts.models import Contract
from contracts.services import acceptance
from contracts.services import signing as contract_signing
from offers.services import sending as offer_sending
from tests.factories import PriceFactory, ProductFactory
from tests.offers.conftest import media, offer, package, products  # noqa: F401


@pytest.fixture
def accepted(cast, offer, django_capture_on_commit_callbacks):  # noqa: F811
    """The offer sent and accepted (Premium); its contract is made and sent."""
    account = offer.account
    account.street = "Am Sandtorkai 1"
    account.postal_code = "20457"
    account.city = "Hamburg"
    account.country = "DE"
    account.save()
    with django_capture_on_commit_callbacks(execute=True):
        offer_sending.offer_send(offer=offer, actor=cast.kam)
    premium = offer.options.get(name="Premium")
    with django_capture_on_commit_callbacks(execute=True):
        acceptance.offer_accept(
            offer=offer, option=premium, name="Vera Meier", ip="203.0.113.9"
        )
    mail.outbox.clear()
    return Contract.objects.get(offer=offer)


@pytest.fixture
def signed(accepted):
    return contract_signing.contract_sign(
        contract=accepted,
        name="Vera Meier",
        title="CFO",
        agreed=True,
        ip="203.0.113.9",
        user_agent="pytest",
    )


@pytest.fixture
def setup_fee():
    fee = ProductFactory(
        code="SETUP", name="Onboarding", kind="one_off", billing_period=""
    )
    PriceFactory(product=fee, list_price=Decimal("500.00"))
    return fee
