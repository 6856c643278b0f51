"""The state factories give what their traits say, as the flow would have made it."""

import pytest

from contracts.models import Contract, Invoice, Subscription
from offers.models import Offer
from tests.factories import ContractFactory, OfferFactory

pytestmark = pytest.mark.django_db


def test_an_accepted_offer_names_its_option_and_has_its_moves():
    offer = OfferFactory(accepted=True)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    assert offer.accepted_option.lines.count() == 1
    assert [e.to_status for e in offer.events.order_by("pk")] == [
        "draft", "sent", "accepted"
    ]  # fmt: skip
    assert OfferFactory().status == Offer.Status.DRAFT


def test_contract_traits(cast):
    sent = ContractFactory(sent=True)
    assert sent.status == Contract.Status.SENT and sent.document_id and sent.sent_at
    signed = ContractFactory(signed=True)
    assert signed.status == Contract.Status.SIGNED and signed.signed_at
    running = ContractFactory(signed=True, finalized_by=cast.cs)
    assert running.status in (Contract.Status.FINALIZED, Contract.Status.ACTIVE)
    assert Subscription.objects.filter(contract=running).count() == 1
    assert Invoice.objects.filter(contract=running).exists()
    assert Contract.objects.get(pk=signed.pk).lines.count() == 1
