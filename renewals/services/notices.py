"""What workers do after a batch commits: invoice PDFs and renewal confirmations."""

import logging
from datetime import timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import ContractTerm, Invoice
from contracts.services import billing
from core import services as core_services
from core.dates import show_date
from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)
REQUEUE_AFTER = timedelta(minutes=15)


@transaction.atomic
def renewal_notice_send(*, term_id: int) -> bool:
    """Email the customer that the standing order renewed (once per term)."""
    term = (
        ContractTerm.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__contact", "contract__account__owner")
        .filter(pk=term_id, notified_at__isnull=True)
        .first()
    )
    if term is None:
        return False
    contract = term.contract
    contact = contract.contact
    owner = contract.account.owner
    if contact.email and not contact.do_not_contact:
        with translation.override(contract.language):
            core_services.message_queue(
                to=[contact.email],
                subject=_("Your contract %(number)s renews until %(date)s")
                % {"number": contract.number, "date": show_date(term.end_on)},
                body_text=render_to_string(
                    "emails/renewals/renewed.txt",
                    {"contract": contract, "term": term, "kam": owner},
                ),
                reply_to=[owner.email] if owner.email else [],
                related=contract,
            )
    term.notified_at = timezone.now()
    term.save(update_fields=["notified_at"])
    return True


def documents_send(*, invoice_ids=(), term_ids=()) -> int:
    """Send each invoice and renewal confirmation of a batch (each in its own step)."""
    done = 0
    for term_id in term_ids:
        done += renewal_notice_send(term_id=term_id)
    for invoice_id in invoice_ids:
        try:
            invoice = billing.invoice_send(invoice=Invoice(pk=invoice_id))
        except ApplicationError as exc:  # e.g. no address: it stays issued
            logger.warning("invoice %s not sent: %s", invoice_id, exc.message)
            continue
        done += invoice.sent_at is not None
    return done


def documents_requeue() -> int:
    """Queue again what a lost broker message left unsent (older than 15 minutes)."""
    from renewals.tasks import renewal_documents_task

    before = timezone.now() - REQUEUE_AFTER
    invoice_ids = list(
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            sent_at__isnull=True,
            created_at__lt=before,
        )
        .exclude(email="")
        .values_list("pk", flat=True)[:5000]
    )
    term_ids = list(
        ContractTerm.objects.filter(
            kind=ContractTerm.Kind.RENEWAL,
            notified_at__isnull=True,
            created_at__lt=before,
        ).values_list("pk", flat=True)[:5000]
    )
    for start in range(0, max(len(invoice_ids), len(term_ids)), 200):
        renewal_documents_task.delay(
            invoice_ids=invoice_ids[start : start + 200],
            term_ids=term_ids[start : start + 200],
        )
    return len(invoice_ids) + len(term_ids)
