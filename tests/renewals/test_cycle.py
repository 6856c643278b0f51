import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Account, Task
from contracts.models import Contract, ContractTerm, Invoice
from contracts.selectors import renewal_diff
from contracts.services import acceptance, notice, terms
from core.dates import show_date
from core.exceptions import ApplicationError
from core.models import Notification
from offers.models import Offer
from offers.services import sending as offer_sending
from renewals.models import Churn, RenewalConfig, RenewalRun
from renewals.services import churn as churn_services
from renewals.services import run
from tests.renewals.conftest import clone, day_after, run_on


def test_a_contract_nearing_its_end_gets_a_renewal_offer_and_a_kam_task(cast, fixed):
    lead = RenewalConfig.get().lead_days
    # one day before the lead time: nothing yet
    assert run_on(fixed.end_on - timedelta(days=lead + 1)).counts["renewal_offers"] == 0
    batch = run_on(fixed.end_on - timedelta(days=lead))
    fixed.refresh_from_db()
    assert batch.counts["renewal_offers"] == 1
    offer = fixed.renewal_offer
    assert offer.status == Offer.Status.DRAFT
    assert offer.start_on == day_after(fixed.end_on)
    assert [
        (line.product_id, line.quantity) for line in offer.options.get().lines.all()
    ] == [(line.product_id, line.quantity) for line in fixed.lines.all()]
    task = Task.objects.get(assignee=cast.kam2, title__contains=offer.label)
    assert task.account == fixed.account and task.done_at is None
    assert Notification.objects.filter(
        user=cast.kam2, title__contains="Renewal"
    ).exists()
    # a second run makes no second offer
    assert run_on(fixed.end_on - timedelta(days=lead)).counts["renewal_offers"] == 0
    assert Offer.objects.filter(account=fixed.account).count() == 2


def test_the_renewal_diff_shows_price_changes_and_items_no_longer_sold(cast, fixed):
    from catalog.models import ProductPrice
    from tests.contracts.helpers import product

    seat = fixed.lines.get().product
    ProductPrice.objects.filter(product=seat).update(list_price="396.00")
    gone = product(code="ARCHIVE", price="100.00")
    fixed.lines.create(
        product=gone, description="Archive", quantity=1, unit_price="100.00",
        tax_rate="19.00", position=2, price_unit="yearly",
    )  # fmt: skip
    gone.is_active = False
    gone.save()
    run_on(fixed.end_on - timedelta(days=RenewalConfig.get().lead_days))
    fixed.refresh_from_db()
    diff = renewal_diff(contract=fixed)
    states = {r.description: r.state for r in diff["rows"]}
    assert states == {"Seat licence": "up", "Archive": "gone"}
    seat_row = next(r for r in diff["rows"] if r.description == "Seat licence")
    assert seat_row.change_percent == 10
    assert [line.product for line in fixed.renewal_offer.options.get().lines.all()] == [
        seat
    ]


def test_an_ended_contract_closes_the_cycle_and_the_account_is_lost(cast, fixed):
    account = fixed.account
    batch = run_on(day_after(fixed.end_on))
    fixed.refresh_from_db()
    account.refresh_from_db()
    assert batch.counts["ended"] == 1 and batch.counts["accounts_lost"] == 1
    assert fixed.status == Contract.Status.ENDED
    assert set(fixed.subscriptions.values_list("status", flat=True)) == {"ended"}
    assert account.lifecycle == Account.Lifecycle.LOST
    churn = Churn.objects.get(account=account)
    assert churn.lost_on == day_after(fixed.end_on) and churn.lost_arr == 1800
    assert churn.contract == fixed and churn.reason == ""
    assert Task.objects.filter(
        assignee=cast.kam2, title__contains="record why"
    ).exists()
    # idempotent: no second churn, no second task
    run_on(day_after(fixed.end_on))
    assert Churn.objects.filter(account=account).count() == 1
    assert Task.objects.filter(title__contains="record why").count() == 1


def test_an_account_with_another_running_contract_is_not_lost(cast, fixed):
    other = clone(fixed, 1)[0]
    Contract.objects.filter(pk=other.pk).update(
        end_on=fixed.end_on + timedelta(days=200)
    )
    batch = run_on(day_after(fixed.end_on))
    assert batch.counts["ended"] == 1 and batch.counts["accounts_lost"] == 0
    fixed.account.refresh_from_db()
    assert fixed.account.lifecycle == Account.Lifecycle.CUSTOMER


def test_churn_reason_and_win_back(cast, fixed):
    run_on(day_after(fixed.end_on))
    churn = Churn.objects.get(account=fixed.account)
    with pytest.raises(ApplicationError):
        churn_services.churn_reason_record(
            churn=churn, actor=cast.kam2, reason="other", note=" "
        )
    churn.refresh_from_db()
    assert churn.reason == ""
    churn_services.churn_reason_record(
        churn=churn, actor=cast.kam2, reason="competitor", note="Went to Acme"
    )
    offer = churn_services.winback_start(churn=churn, actor=cast.kam2)
    assert churn_services.winback_start(churn=churn, actor=cast.kam2) == offer
    assert offer.title.startswith("Win-back") and offer.options.get().lines.exists()
    offer_sending.offer_send(offer=offer, actor=cast.kam2)
    acceptance.offer_accept(
        offer=offer, option=offer.options.get(), name="Buyer", ip="192.0.2.1"
    )
    churn.refresh_from_db()
    fixed.account.refresh_from_db()
    assert churn.won_back_on is not None
    assert fixed.account.lifecycle == Account.Lifecycle.WON_BACK
    # the new contract continues the old one
    assert Contract.objects.get(offer=offer).previous == fixed


def test_an_accepted_renewal_offer_marks_the_old_contract_renewed(cast, fixed):
    run_on(fixed.end_on - timedelta(days=RenewalConfig.get().lead_days))
    fixed.refresh_from_db()
    offer = fixed.renewal_offer
    offer_sending.offer_send(offer=offer, actor=cast.kam2)
    acceptance.offer_accept(
        offer=offer, option=offer.options.get(), name="Buyer", ip="192.0.2.1"
    )
    batch = run_on(day_after(fixed.end_on))
    fixed.refresh_from_db()
    assert batch.counts["renewed_by_offer"] == 1 and batch.counts["accounts_lost"] == 0
    assert fixed.status == Contract.Status.RENEWED
    assert not Churn.objects.exists()


def test_a_notice_before_the_cancel_by_date_stops_the_renewal(cast, standing):
    with pytest.raises(ApplicationError, match="future"):
        notice.contract_notice_receive(
            contract=standing, actor=cast.kam, received_on=standing.end_on
        )
    # the cancel-by date lies ahead: a notice received today is in time
    notice.contract_notice_receive(
        contract=standing, actor=cast.cs, received_on=standing.created_at.date(),
        reason="Budget cut",
    )  # fmt: skip
    standing.refresh_from_db()
    assert not standing.auto_renew and standing.notice_reason == "Budget cut"
    assert standing.events.filter(comment__contains="notice").exists()
    batch = run_on(day_after(standing.end_on))
    standing.refresh_from_db()
    assert batch.counts["renewed"] == 0 and batch.counts["ended"] == 1
    assert standing.status == Contract.Status.ENDED


def test_a_notice_after_the_cancel_by_date_is_refused_with_its_effective_date(
    cast, standing
):
    # the notice arrives a day late (the cancel-by date is moved into the past)
    late = standing.created_at.date()
    Contract.objects.filter(pk=standing.pk).update(cancel_by=late - timedelta(days=1))
    standing.refresh_from_db()
    effective = terms.next_term_end(standing)
    with pytest.raises(ApplicationError) as caught:
        notice.contract_notice_receive(
            contract=standing, actor=cast.cs, received_on=late
        )
    assert show_date(effective) in caught.value.message
    standing.refresh_from_db()
    assert standing.auto_renew and standing.notice_received_on is None
    assert not standing.events.filter(comment__contains="notice").exists()


def test_catch_up_runs_every_missed_date_once(cast, standing):
    end = standing.end_on
    RenewalRun.objects.create(business_date=end - timedelta(days=3), status="succeeded")
    results = run.renewals_run(business_date=end + timedelta(days=2))
    days = [batch.day for _r, batch in results]
    assert days == [end - timedelta(days=n) for n in (2, 1, 0)] + [
        end + timedelta(days=1),
        end + timedelta(days=2),
    ]
    assert [b.counts["renewed"] for _r, b in results] == [0, 0, 0, 1, 0]
    assert ContractTerm.objects.filter(contract=standing).count() == 2
    # the next run starts after the last completed date
    assert run.dates_to_run(end + timedelta(days=2)) == [end + timedelta(days=2)]


def test_dry_run_reports_and_changes_nothing(cast, standing, fixed):
    day = day_after(max(standing.end_on, fixed.end_on))
    before = (
        Invoice.objects.count(),
        ContractTerm.objects.count(),
        Offer.objects.count(),
    )
    out = StringIO()
    call_command("run_renewals", date=day.isoformat(), dry_run=True, json=True,
                 no_catch_up=True, stdout=out)  # fmt: skip
    counts = json.loads(out.getvalue().strip().splitlines()[-1])
    assert counts["renewed"] == 1 and counts["ended"] == 1 and counts["dry_run"]
    assert counts["invoices"] >= 1
    after = (
        Invoice.objects.count(),
        ContractTerm.objects.count(),
        Offer.objects.count(),
    )
    assert before == after
    assert not RenewalRun.objects.exists()
    standing.refresh_from_db()
    assert standing.status != Contract.Status.RENEWED and standing.terms.count() == 1


def test_the_command_prints_json_counts_on_the_last_line(cast, standing):
    out = StringIO()
    day = day_after(standing.end_on)
    call_command("run_renewals", date=day.isoformat(), json=True, stdout=out)
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last["renewed"] == 1 and last["invoices"] == 1 and last["failures"] == 0
    assert set(run.steps.COUNT_KEYS) <= set(last)
    with pytest.raises(CommandError, match="not a date"):
        call_command("run_renewals", date="31.01.2027")


def test_one_failing_contract_is_recorded_and_the_batch_goes_on(cast, standing):
    # given two standing orders; the database refuses invoices for one of them
    other = clone(standing, 1)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION kam_fault() RETURNS trigger AS $$ BEGIN "
            "IF NEW.contract_id = %s THEN RAISE EXCEPTION 'injected fault'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            [other.pk],
        )
        cursor.execute(
            "CREATE TRIGGER kam_fault BEFORE INSERT ON contracts_invoice "
            "FOR EACH ROW EXECUTE FUNCTION kam_fault()"
        )
    cast.admin.email = "admin@kam.example"
    cast.admin.save()
    day = day_after(standing.end_on)
    batch = run_on(day)
    # then the other one is billed, the failure is recorded and the admins told
    assert batch.counts["renewed"] == 2 and batch.counts["invoices"] == 1
    recorded = RenewalRun.objects.get(business_date=day)
    assert recorded.status == "failed" and recorded.failure_count == 1
    failure = recorded.failures.get()
    assert failure.step == "billing" and failure.contract == other
    assert "injected fault" in failure.error
    from core.models import OutboundMessage

    alert = OutboundMessage.objects.get(subject__contains="1 failure")
    assert alert.to == ["admin@kam.example"] and other.number in alert.body_text
    # when the fault is gone the next run bills it, once
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER kam_fault ON contracts_invoice")
    assert run_on(day).counts["invoices"] == 1
    assert run_on(day).counts["invoices"] == 0
    assert other.invoices.filter(issued_on=day).count() == 1


def test_a_dry_run_over_several_dates_sees_each_date_before_it(cast, standing):
    # the renewal on day 1 makes the subscription billable on day 1 only once;
    # a catch-up dry run over three dates must not bill it again on days 2 and 3
    end = standing.end_on
    RenewalRun.objects.create(business_date=end - timedelta(days=1), status="succeeded")
    results = run.renewals_run(business_date=end + timedelta(days=2), dry_run=True)
    assert [b.counts["renewed"] for _r, b in results] == [0, 1, 0]
    assert [b.counts["invoices"] for _r, b in results] == [0, 1, 0]
    assert ContractTerm.objects.filter(contract=standing).count() == 1


def test_the_kam_is_told_once_of_her_renewed_standing_orders(cast, standing):
    day = day_after(standing.end_on)
    run_on(day)
    renewed = Notification.objects.filter(
        user=standing.account.owner, dedupe_key=f"renewed:{day.isoformat()}"
    )
    # one order: the singular, and the date as the reader's dates are shown
    assert [(n.title, n.body) for n in renewed] == [
        (f"1 standing order renewed on {show_date(day)}", standing.number)
    ]
    run_on(day)  # a second run tells her nothing twice
    assert renewed.count() == 1
