"""Two customer services users finalize the same contract at the same moment."""

import smtplib
import threading

import pytest
from django.core import mail
from django.db import connections

from contracts.models import Contract, ContractEvent, Invoice, InvoiceLine, Subscription
from contracts.services import lifecycle
from core.models import OutboundMessage
from core.services import message_retry
from tests.contracts.helpers import contract_for
from tests.core.test_outbox import FlakyBackend
from tests.offers.helpers import ensure_defaults

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_two_finalizations_at_once_make_one_set(cast):
    ensure_defaults()
    contract = contract_for(cast.kam)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def finalize(user):
        try:
            barrier.wait(timeout=10)
            # each thread has its own database connection
            done = lifecycle.contract_finalize(
                contract=Contract(pk=contract.pk), actor=user
            )
            results.append(done.status)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=finalize, args=(user,))
        for user in (cast.cs, cast.admin)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(results) == 2
    assert Subscription.objects.filter(contract=contract).count() == 1
    assert Invoice.objects.filter(contract=contract).count() == 1
    assert InvoiceLine.objects.filter(invoice__contract=contract).count() == 1
    assert (
        ContractEvent.objects.filter(contract=contract, to_status="finalized").count()
        == 1
    )


def test_failing_email_does_not_roll_back_the_finalization(cast, settings, monkeypatch):
    from kam.celery import app

    # as on a real worker: the delivery task's retry does not reach the caller
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    ensure_defaults()
    contract = contract_for(cast.kam)
    settings.OUTBOX_DELIVERY_BACKEND = "tests.core.test_outbox.FlakyBackend"
    FlakyBackend.calls, FlakyBackend.failures = 0, 99
    FlakyBackend.error = smtplib.SMTPServerDisconnected("connection lost")
    lifecycle.contract_finalize(contract=contract, actor=cast.cs)
    contract.refresh_from_db()
    assert contract.status in ("finalized", "active")
    invoice = Invoice.objects.get(contract=contract)
    assert invoice.message is not None  # the PDF was rendered and queued
    message = OutboundMessage.objects.get(pk=invoice.message_id)
    # the provider kept failing: the email is kept in the outbox, not lost
    assert message.status in (OutboundMessage.Status.READY, "failed")
    assert message.attempts >= 1 and "connection lost" in message.last_error
    # once the provider is back, a retry delivers it with the PDF
    FlakyBackend.failures = 0
    message_retry(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert mail.outbox[-1].attachments[0][0] == f"{invoice.number}.pdf"


def test_twenty_finalizations_at_once_number_their_invoices_without_gaps(cast):
    """Twenty contracts finalized at the same moment, each in its own session: one
    invoice each, numbered one after another in the series, none twice, none left
    out."""
    ensure_defaults()
    pks = [contract_for(cast.kam).pk for _ in range(20)]
    barrier = threading.Barrier(len(pks))
    errors = []

    def finalize(pk, user):
        try:
            barrier.wait(timeout=30)
            lifecycle.contract_finalize(contract=Contract(pk=pk), actor=user)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=finalize, args=(pk, (cast.cs, cast.admin)[i % 2]))
        for i, pk in enumerate(pks)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    invoices = list(Invoice.objects.filter(contract_id__in=pks))
    assert sorted(i.contract_id for i in invoices) == sorted(pks)
    by_series = {}
    for invoice in invoices:
        by_series.setdefault((invoice.series, invoice.year), []).append(invoice)
    for (series, year), issued in by_series.items():
        sequences = sorted(i.sequence for i in issued)
        assert sequences == list(range(sequences[0], sequences[0] + len(issued))), (
            series,
            year,
            sequences,
        )
        assert sequences[0] == 1  # nothing was issued before: no gap at the start
    numbers = [i.number for i in invoices]
    assert len(set(numbers)) == len(numbers) == 20
