from datetime import timedelta
from decimal import Decimal

from django.core import mail

from contracts.models import Contract, ContractTerm, Invoice, InvoiceLine, Subscription
from renewals.models import RenewalRun
from tests.renewals.conftest import day_after, run_on


def test_a_standing_order_renews_with_a_new_term_and_invoice(
    cast, standing, django_capture_on_commit_callbacks
):
    # given a standing order whose first year was billed at finalization
    old_end = standing.end_on
    assert Invoice.objects.filter(contract=standing).count() == 1
    renewal_day = day_after(old_end)
    # when the job runs on the day after the term ends
    with django_capture_on_commit_callbacks(execute=True):
        batch = run_on(renewal_day)
    # then the contract has a second term linked to the first
    standing.refresh_from_db()
    assert batch.failures == []
    assert batch.counts["renewed"] == 1 and batch.counts["invoices"] == 1
    first, second = standing.terms.order_by("sequence")
    assert second.previous == first and second.kind == ContractTerm.Kind.RENEWAL
    assert second.start_on == renewal_day
    assert standing.end_on == second.end_on == renewal_day.replace(
        year=renewal_day.year + 1
    ) - timedelta(days=1)
    assert standing.cancel_by == standing.end_on - timedelta(days=standing.notice_days)
    # its subscription runs on and was billed for the new period
    sub = standing.subscriptions.get()
    assert sub.end_on == standing.end_on and sub.next_billing_on is None
    line = InvoiceLine.objects.get(subscription=sub, period_start=renewal_day)
    assert line.period_end == standing.end_on and line.net == Decimal("1800.00")
    invoice = line.invoice
    assert invoice.issued_on == renewal_day
    assert (invoice.net, invoice.tax, invoice.gross) == (
        Decimal("1800.00"),
        Decimal("342.00"),
        Decimal("2142.00"),
    )
    # the customer got the renewal confirmation and the invoice (after commit)
    subjects = [m.subject for m in mail.outbox]
    assert any("renews until" in s for s in subjects)
    assert any(invoice.number in s for s in subjects)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SENT and invoice.document_id
    second.refresh_from_db()
    assert second.notified_at is not None
    # and the run is recorded
    recorded = RenewalRun.objects.get(business_date=renewal_day)
    assert recorded.status == "succeeded" and recorded.counts["renewed"] == 1


def test_a_second_run_for_the_same_date_changes_nothing(cast, standing):
    renewal_day = day_after(standing.end_on)
    run_on(renewal_day)
    before = (
        Invoice.objects.count(),
        ContractTerm.objects.count(),
        list(Subscription.objects.values_list("end_on", "next_billing_on")),
    )
    again = run_on(renewal_day)
    assert sum(again.counts.values()) == 0
    after = (
        Invoice.objects.count(),
        ContractTerm.objects.count(),
        list(Subscription.objects.values_list("end_on", "next_billing_on")),
    )
    assert before == after
    assert RenewalRun.objects.filter(business_date=renewal_day).count() == 2


def test_a_contract_without_standing_order_is_not_renewed(cast, fixed):
    batch = run_on(day_after(fixed.end_on))
    fixed.refresh_from_db()
    assert batch.counts["renewed"] == 0 and batch.counts["ended"] == 1
    assert fixed.status == Contract.Status.ENDED
