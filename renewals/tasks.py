from datetime import date

from celery import shared_task

from renewals.services import notices, run


@shared_task(acks_late=True)
def renewals_run_task(business_date: str | None = None) -> dict:
    """Run the nightly renewal job for today (or a date) and every missed date."""
    notices.documents_requeue()
    day = date.fromisoformat(business_date) if business_date else None
    return run.counts_total(run.renewals_run(business_date=day, trigger="schedule"))


@shared_task(acks_late=True)
def renewal_documents_task(invoice_ids=(), term_ids=()) -> int:
    """Render and email a batch's invoices and renewal confirmations."""
    return notices.documents_send(invoice_ids=invoice_ids, term_ids=term_ids)
