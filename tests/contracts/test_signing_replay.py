"""A signing link used again: after the signature, after cancellation, after its
expiry. Each answer is plain, and the contract keeps what it had."""

import pytest
from django.urls import reverse

from contracts.models import Contract, ContractEvent
from contracts.services import lifecycle
from contracts.services import signing as contract_signing
from tests.contracts.helpers import contract_for

pytestmark = pytest.mark.django_db

SECOND = {"name": "Mallory", "title": "Intern", "agree": "on"}


def snapshot(contract):
    contract = Contract.objects.get(pk=contract.pk)
    return (
        contract.status,
        contract.signer_name,
        contract.signer_ip,
        contract.signed_at,
        ContractEvent.objects.filter(contract=contract).count(),
    )


def test_a_second_signature_through_the_same_link_changes_nothing(client, cast):
    # given: a contract the buyer signed through the link
    contract = contract_for(cast.kam, sign=False)
    url = reverse("contracts:sign", args=[contract_signing.signing_token(contract)])
    client.post(url, {"name": "Buyer", "agree": "on"}, REMOTE_ADDR="198.51.100.7")
    before = snapshot(contract)
    assert before[:3] == ("signed", "Buyer", "198.51.100.7")
    # when: the link is posted again, by someone else, from elsewhere
    response = client.post(url, SECOND, REMOTE_ADDR="203.0.113.66")
    # then: the page says it is signed; the first signature stands
    assert response.status_code == 200 and b"Mallory" not in response.content
    assert snapshot(contract) == before
    # and after finalization too
    lifecycle.contract_finalize(contract=contract, actor=cast.cs)
    finalized = snapshot(contract)
    client.post(url, SECOND, REMOTE_ADDR="203.0.113.66")
    assert snapshot(contract) == finalized


def test_a_signature_after_cancellation_is_refused(client, cast):
    contract = contract_for(cast.kam, sign=False)
    url = reverse("contracts:sign", args=[contract_signing.signing_token(contract)])
    lifecycle.contract_cancel(contract=contract, actor=cast.cs, reason="Duplicate")
    before = snapshot(contract)
    assert client.post(url, SECOND).status_code == 410
    assert snapshot(contract) == before and before[0] == "cancelled"


def test_a_signature_through_an_expired_link_is_refused(client, cast, settings):
    contract = contract_for(cast.kam, sign=False)
    url = reverse("contracts:sign", args=[contract_signing.signing_token(contract)])
    settings.KAM_SIGNING_LINK_DAYS = -1
    before = snapshot(contract)
    assert client.post(url, SECOND).status_code == 404
    assert snapshot(contract) == before and before[0] == "sent"
