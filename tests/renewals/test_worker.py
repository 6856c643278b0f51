"""Through a real worker: the nightly task renews, bills and mails the PDFs."""

import pytest

from contracts.models import Invoice
from core.models import OutboundMessage
from renewals.models import RenewalRun
from renewals.tasks import renewals_run_task
from tests.conftest import wait_for
from tests.contracts.helpers import contract_for
from tests.contracts.test_worker import text_of
from tests.offers.helpers import ensure_defaults
from tests.renewals.conftest import day_after

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.pdf
def test_the_nightly_task_renews_and_sends_the_documents(
    celery_worker, cast, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    day = day_after(contract.end_on)
    renewals_run_task.delay(business_date=day.isoformat())
    assert wait_for(
        lambda: RenewalRun.objects.filter(
            business_date=day, status="succeeded"
        ).exists()
    )
    invoice = Invoice.objects.get(contract=contract, issued_on=day)
    assert wait_for(
        lambda: OutboundMessage.objects.filter(
            status="sent", subject__contains=invoice.number
        ).exists()
    )
    assert wait_for(
        lambda: OutboundMessage.objects.filter(
            status="sent", subject__contains="renews until"
        ).exists()
    )
    invoice.refresh_from_db()
    with invoice.document.file.open("rb") as fh:
        text = text_of(fh.read())
    assert invoice.number in text and "2,142.00" in text.replace("2.142,00", "2,142.00")
    run = RenewalRun.objects.get(business_date=day)
    assert run.counts["renewed"] == 1 and run.counts["invoices"] == 1
