"""Through a real worker: the contract arrives with its PDF; so does the invoice."""

import subprocess

import pytest
from django.core import mail

from contracts.models import Contract, Invoice
from contracts.services import contracts
from kam.core.models import OutboundMessage
from offers import services as offer_services
from tests.conftest import wait_for
from tests.contracts.helpers import contract_for
from tests.offers.helpers import ensure_defaults

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def text_of(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_contract_and_invoice_reach_the_customer(
    celery_worker, cast, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()
    # accepting queues the contract's sending on the worker
    draft = contract_for(cast.kam, sign=False)
    offer = draft.offer
    assert offer_services.offer_for_token  # the offer was accepted above
    assert wait_for(
        lambda: OutboundMessage.objects.filter(
            status="sent", subject__contains=draft.number
        ).exists()
    )
    email = next(m for m in mail.outbox if draft.number in m.subject)
    assert email.to == ["buyer@customer.example"]
    assert "/contracts/sign/" in email.body
    text = text_of(email.attachments[0][1])
    assert draft.number in text and "1,800.00" in text  # 5 × 360
    # finalizing queues the invoice
    contract = contracts.contract_sign(
        contract=Contract.objects.get(pk=draft.pk), name="Buyer", agreed=True
    )
    contracts.contract_finalize(contract=contract, actor=cast.cs)
    invoice = Invoice.objects.get(contract=contract)
    assert wait_for(
        lambda: OutboundMessage.objects.filter(
            status="sent", subject__contains=invoice.number
        ).exists()
    )
    email = next(m for m in mail.outbox if invoice.number in m.subject)
    text = text_of(email.attachments[0][1])
    assert invoice.number in text and "2,142.00" in text  # 1,800 + 19 %
