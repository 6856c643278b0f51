"""Documents are rendered before the row they belong to is locked: rendering a PDF
takes about a second, and nobody should wait for it to change the offer, contract
or invoice meanwhile. Under the lock the object must still be what was rendered."""

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Contact
from contracts.models import Contract, Invoice
from contracts.services import acceptance, billing, lifecycle
from contracts.services import documents as contract_documents
from contracts.services import signing as contract_signing
from core.exceptions import ApplicationError
from core.models import OutboundMessage
from offers.models import Offer
from offers.services import building as offer_building
from offers.services import documents as offer_documents
from offers.services import sending as offer_sending
from tests.offers.helpers import ensure_defaults

pytestmark = pytest.mark.django_db(transaction=True)


def row_is_free(table: str, pk: int) -> bool:
    """Whether another session can lock the row at once (FOR UPDATE NOWAIT)."""
    result = {}

    def probe():
        try:
            with transaction.atomic(), connections["default"].cursor() as cursor:
                # the table is one of ours, never input
                sql = f"SELECT id FROM {table} WHERE id = %s FOR UPDATE NOWAIT"  # noqa: S608
                cursor.execute(sql, [pk])
            result["free"] = True
        except OperationalError:
            result["free"] = False
        finally:
            connections.close_all()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=20)
    return result["free"]


def spy(monkeypatch, module, name, table, calls):
    real = getattr(module, name)

    def rendering(obj, **kwargs):
        calls.append(row_is_free(table, obj.pk))
        return real(obj, **kwargs)

    monkeypatch.setattr(module, name, rendering)


def test_pdfs_are_rendered_without_holding_their_rows(cast, offer, monkeypatch):
    ensure_defaults()
    calls = {"offer": [], "contract": [], "invoice": []}
    spy(monkeypatch, offer_documents, "offer_pdf", "offers_offer", calls["offer"])
    spy(monkeypatch, contract_documents, "contract_pdf", "contracts_contract",
        calls["contract"])  # fmt: skip
    spy(monkeypatch, billing, "invoice_pdf", "contracts_invoice", calls["invoice"])
    # the whole way: send, accept (the contract is made and sent), sign, finalize
    # (the invoice is issued and sent)
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    account = offer.account
    account.street, account.postal_code, account.city = "Kai 1", "20457", "Hamburg"
    account.country = "DE"
    account.save()
    acceptance.offer_accept(
        offer=offer, option=offer.options.get(name="Premium"), name="Vera Meier",
        ip="203.0.113.9",
    )  # fmt: skip
    contract = Contract.objects.get(offer=offer)
    assert contract.status == "sent"
    contract = contract_signing.contract_sign(
        contract=contract, name="Vera Meier", agreed=True
    )
    lifecycle.contract_finalize(contract=contract, actor=cast.cs)
    invoice = Invoice.objects.get(contract=contract)
    assert invoice.sent_at is not None
    # every PDF was rendered while its row was free to lock
    assert calls == {"offer": [True], "contract": [True], "invoice": [True]}


def meanwhile(change):
    """An `offer_pdf` that renders and then runs `change` in another session (its
    own thread and connection), as if someone acted while the PDF rendered."""
    real = offer_documents.offer_pdf

    def rendering(o, **kwargs):
        pdf = real(o, **kwargs)

        def other_session():
            try:
                change()
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_session)
        thread.start()
        thread.join(timeout=20)
        return pdf

    return rendering


def refused_and_nothing_sent(offer, actor, match):
    with pytest.raises(ApplicationError, match=match):
        offer_sending.offer_send(offer=offer, actor=actor)
    offer.refresh_from_db()
    assert offer.status == "draft" and offer.document is None
    assert not OutboundMessage.objects.exists()


def test_an_offer_changed_while_its_pdf_renders_is_not_sent(cast, offer, monkeypatch):
    ensure_defaults()
    real = offer_documents.offer_pdf
    line = offer.options.get(name="Standard").lines.first()
    # meanwhile, in another session, the KAM changes a price
    monkeypatch.setattr(offer_documents, "offer_pdf", meanwhile(
        lambda: offer_building.line_update(
            line=line, actor=cast.kam, discount_percent=Decimal("1")
        )
    ))  # fmt: skip
    refused_and_nothing_sent(offer, cast.kam, "changed while it was being sent")
    # sent again, it goes out with the new price
    monkeypatch.setattr(offer_documents, "offer_pdf", real)
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    assert Offer.objects.get(pk=offer.pk).status == "sent"


def test_a_contact_who_opts_out_while_the_pdf_renders_gets_no_offer(
    cast, offer, monkeypatch
):
    ensure_defaults()
    monkeypatch.setattr(offer_documents, "offer_pdf", meanwhile(
        lambda: Contact.objects.filter(pk=offer.contact_id).update(
            do_not_contact=True
        )
    ))  # fmt: skip
    refused_and_nothing_sent(offer, cast.kam, "asked not to be contacted")


def test_under_the_lock_the_lines_are_read_once(cast, offer, monkeypatch):
    """The offer's lines, loaded for the PDF, are compared under the lock with one
    query, not loaded again with their products."""
    ensure_defaults()
    real = offer_sending._offer_sent
    seen = {}

    def sending(**kwargs):
        with CaptureQueriesContext(connections["default"]) as queries:
            result = real(**kwargs)
        seen["sql"] = [q["sql"] for q in queries.captured_queries]
        return result

    monkeypatch.setattr(offer_sending, "_offer_sent", sending)
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    lines = [
        s for s in seen["sql"] if s.startswith("SELECT") and "offers_offerline" in s
    ]
    products = [
        s for s in seen["sql"] if s.startswith("SELECT") and "catalog_product" in s
    ]
    assert len(lines) == 1 and not products, seen["sql"]
    sent = Offer.objects.get(pk=offer.pk)
    assert sent.status == "sent" and sent.document is not None
    assert sent.message.to == [sent.contact.email]
