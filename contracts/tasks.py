from celery import shared_task

from contracts.models import Contract, Invoice
from contracts.services import billing, trials
from contracts.services import signing as contract_signing


@shared_task(acks_late=True)
def contract_send_task(contract_id: int) -> str:
    """Email a new contract with its PDF and signing link."""
    contract = contract_signing.contract_send(contract=Contract(pk=contract_id))
    return contract.status


@shared_task(acks_late=True)
def invoice_send_task(invoice_id: int) -> str:
    """Email an issued invoice (or credit note) with its PDF."""
    return billing.invoice_send(invoice=Invoice(pk=invoice_id)).status


@shared_task(acks_late=True)
def unsent_requeue_task() -> int:
    """Queue again contracts and invoices left unsent by a broker outage."""
    found = contract_signing.unsent_requeue()
    return len(found["contracts"]) + len(found["invoices"])


@shared_task(acks_late=True)
def trial_reminders_task() -> int:
    """Remind KAMs and customers of trials that end soon."""
    return trials.trial_reminders()


@shared_task(acks_late=True)
def invoices_mark_overdue_task() -> int:
    """Mark unpaid invoices past their due date overdue."""
    return billing.invoices_mark_overdue()
