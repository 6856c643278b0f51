import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

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
    assert (
        standing.end_on
        == second.end_on
        == renewal_day.replace(year=renewal_day.year + 1) - timedelta(days=1)
    )
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


def _monthly_standing(cast):
    """5 seats at 360 a year, invoiced monthly, as offered and signed."""
    from tests.contracts.helpers import contract_with

    return contract_with(
        cast.kam,
        cast.cs,
        start_on=timezone.localdate(),
        billing_period="monthly",
        lines=[("SEAT", "yearly", "360.00", 5, 0)],
    )


def test_billing_catches_up_every_missed_period_once_in_order(cast):
    # given a monthly-billed standing order whose first month was billed
    contract = _monthly_standing(cast)
    sub = contract.subscriptions.get()
    assert sub.period_amount == Decimal("150.00")  # 5 × 360 a year / 12
    # when the job runs 3 months later (one date, nothing run in between)
    from core.dates import boundary

    day = boundary(contract.start_on, 3)
    batch = run_on(day)
    # then months 2, 3 and 4 are billed, each once, without gaps
    periods = list(
        InvoiceLine.objects.filter(subscription=sub)
        .order_by("period_start")
        .values_list("period_start", "period_end")
    )
    assert len(periods) == 4 and batch.counts["invoices"] == 3
    for (_s1, e1), (s2, _e2) in itertools.pairwise(periods):
        assert s2 == e1 + timedelta(days=1)
    sub.refresh_from_db()
    assert sub.next_billing_on == boundary(contract.start_on, 4)
    assert run_on(day).counts["invoices"] == 0


def test_a_trial_converts_to_paid_with_an_invoice_unless_cancelled(cast):
    from contracts.services import lifecycle
    from tests.contracts.helpers import contract_for

    trial = contract_for(cast.kam)
    lifecycle.contract_update_terms(
        contract=trial, actor=cast.cs, trial_days=14, payment_terms_days=14,
        renewal_months=12,
    )  # fmt: skip
    trial = lifecycle.contract_finalize(contract=trial, actor=cast.cs)
    cancelled = contract_for(cast.kam)
    lifecycle.contract_update_terms(
        contract=cancelled, actor=cast.cs, trial_days=14, payment_terms_days=14,
        renewal_months=12,
    )  # fmt: skip
    cancelled = lifecycle.contract_finalize(contract=cancelled, actor=cast.cs)
    lifecycle.contract_cancel(contract=cancelled, actor=cast.cs, reason="No budget")
    sub = trial.subscriptions.get()
    assert sub.status == "trial" and not sub.invoice_lines.exists()
    # the day the trial ends nothing happens yet
    assert run_on(sub.trial_ends_on).counts["trials_converted"] == 0
    batch = run_on(day_after(sub.trial_ends_on))
    sub.refresh_from_db()
    assert batch.counts["trials_converted"] == 1 and sub.status == "active"
    line = sub.invoice_lines.get()
    assert line.period_start == day_after(sub.trial_ends_on)
    assert not cancelled.invoices.exists()
    assert set(cancelled.subscriptions.values_list("status", flat=True)) == {
        "cancelled"
    }


def test_prices_follow_the_configured_uplift_at_renewal(cast, standing):
    from renewals.models import RenewalConfig

    config = RenewalConfig.get()
    config.pricing = RenewalConfig.Pricing.UPLIFT
    config.uplift_percent = Decimal("3.50")
    config.save()
    run_on(day_after(standing.end_on))
    line = standing.lines.get()
    assert line.unit_price == Decimal("372.60")  # 360 + 3.5 %
    sub = standing.subscriptions.get()
    assert sub.period_amount == Decimal("1863.00") and sub.mrr == Decimal("155.25")
    term = standing.terms.get(sequence=2)
    assert term.price_change_percent == Decimal("3.50")
    assert term.arr == Decimal("1863.00")
    invoice_line = sub.invoice_lines.order_by("period_start").last()
    assert invoice_line.net == Decimal("1863.00")


def test_list_prices_at_renewal_are_capped_by_the_uplift(cast, standing):
    from catalog.models import ProductPrice
    from renewals.models import RenewalConfig

    ProductPrice.objects.filter(product=standing.lines.get().product).update(
        list_price=Decimal("420.00")
    )
    config = RenewalConfig.get()
    config.pricing = RenewalConfig.Pricing.LIST
    config.uplift_percent = Decimal("10")
    config.save()
    run_on(day_after(standing.end_on))
    assert standing.lines.get().unit_price == Decimal("396.00")  # capped at +10 %


@pytest.mark.django_db
def test_one_worker_inside_a_callers_transaction(settings):
    """seed_demo runs the renewals inside its transaction: worker threads with
    their own connections would wait for its locks forever."""
    from renewals.models import RenewalConfig
    from renewals.services.run import Batch, worker_count

    settings.KAM_RENEWALS_WORKERS = 2
    batch = Batch(day=date(2026, 11, 23), config=RenewalConfig(pk=1))
    with transaction.atomic():  # the test's own transaction is one already
        assert worker_count(batch) == 1
    assert worker_count(Batch(day=batch.day, config=batch.config, dry_run=True)) == 1
