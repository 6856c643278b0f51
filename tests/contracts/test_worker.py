"""Through a real worker: the contract arrives with its PDF; so does the invoice,
as a Factur-X PDF with its EN 16931 XML, to the account's billing e-mail."""

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from contracts.models import Contract, Invoice
from contracts.services import acceptance, lifecycle
from contracts.services import signing as contract_signing
from core.models import OutboundMessage
from offers.services import building as offer_building
from offers.services import sending as offer_sending
from tests.conftest import wait_for
from tests.contracts.helpers import product
from tests.factories import AccountFactory, ContactFactory
from tests.offers.helpers import ensure_defaults

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def text_of(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.pdf
def test_contract_and_invoice_reach_the_customer(
    celery_worker, cast, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()
    # accepting queues the contract's sending on the worker
    account = AccountFactory(
        owner=cast.kam, street="Kai 1", postal_code="20457", city="Hamburg",
        country="DE", einvoice_format="facturx", billing_email="ap@customer.example",
    )  # fmt: skip
    contact = ContactFactory(account=account, email="buyer@customer.example")
    offer = offer_building.offer_create(
        account=account,
        contact=contact,
        actor=cast.kam,
        title="Seats",
        valid_until=timezone.localdate() + timedelta(days=30),
    )
    option = offer.options.get()
    offer_building.line_add(
        option=option, actor=cast.kam, product=product(), quantity=Decimal(5)
    )
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    acceptance.offer_accept(offer=offer, option=option, name="Buyer")
    draft = Contract.objects.get(offer=offer)
    assert wait_for(
        lambda: OutboundMessage.objects.filter(
            status="sent", subject=f"Your contract {draft.number}: please sign"
        ).exists()
    )
    draft.refresh_from_db()
    assert draft.status == "sent"  # moved by the worker
    email = next(m for m in mail.outbox if m.subject.startswith("Your contract"))
    assert email.to == ["buyer@customer.example"]
    assert "/contracts/sign/" in email.body
    text = text_of(email.attachments[0][1])
    assert draft.number in text and "1,800.00" in text  # 5 × 360
    # finalizing queues the invoice
    contract = contract_signing.contract_sign(
        contract=Contract.objects.get(pk=draft.pk), name="Buyer", agreed=True
    )
    lifecycle.contract_finalize(contract=contract, actor=cast.cs)
    invoice = Invoice.objects.get(contract=contract)
    assert wait_for(
        lambda: OutboundMessage.objects.filter(
            status="sent", subject__contains=invoice.number
        ).exists()
    )
    email = next(m for m in mail.outbox if invoice.number in m.subject)
    assert email.to == ["ap@customer.example"]  # the billing e-mail, not the buyer
    pdf = email.attachments[0][1]
    text = text_of(pdf)
    assert invoice.number in text and "2,142.00" in text  # 1,800 + 19 %
    from facturx import get_xml_from_pdf

    name, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml" and b"<ram:GrandTotalAmount>2142.00<" in xml
