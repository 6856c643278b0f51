"""30/60/90-day check-ins: one set per account and occasion, worded alike, never
stacked (a handoff, then the first contract; renewals; a job run twice)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, Task
from accounts.services import handoff, todos
from contracts.models import Contract
from contracts.services import acceptance, lifecycle
from contracts.services import signing as contract_signing
from offers.services import sending as offer_sending
from tests.contracts.helpers import contract_for

pytestmark = pytest.mark.django_db


def check_ins(account):
    return list(
        Task.objects.filter(account=account, title__contains="check-in").order_by(
            "due_at"
        )
    )


def test_finalizing_plans_one_set_worded_as_the_handoffs(cast):
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    tasks = check_ins(contract.account)
    assert [t.title for t in tasks] == [
        f"{days}-day check-in with {contract.account.name}" for days in (30, 60, 90)
    ]
    assert [t.key for t in tasks] == [
        f"check-in:contract:{contract.number}:{days}" for days in (30, 60, 90)
    ]
    start = max(contract.start_on, timezone.localdate())
    assert [timezone.localtime(t.due_at).date() for t in tasks] == [
        start + timedelta(days=d) for d in (30, 60, 90)
    ]
    assert {timezone.localtime(t.due_at).hour for t in tasks} == {9}
    assert {t.assignee for t in tasks} == {cast.kam}


def test_planning_the_same_occasion_twice_changes_nothing(cast):
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    account = contract.account
    before = check_ins(account)
    timeline = account.timeline.count()
    again = todos.check_ins_plan(
        account=account,
        occasion=f"contract:{contract.number}",
        start_on=timezone.localdate(),
        actor=cast.cs,
        notes="",
    )
    assert [t.pk for t in again] == [t.pk for t in before]
    assert check_ins(account) == before
    assert account.timeline.count() == timeline  # no second "Task: …" entry


def test_a_handoff_then_its_first_contract_make_one_set(cast):
    # given: sales hand a new customer over (a set is planned), the KAM takes it
    item = handoff.handoff_submit(
        actor=cast.manager,
        name="Meridian Klinikverbund",
        country="DE",
        needs="Research portal",
        complexity="simple",
        proposed_path="key_account",
        team=cast.kam.team,
        expected_annual_revenue=Decimal("1000"),
    )
    handoff.handoff_assign_kam(handoff=item, kam=cast.kam, actor=cast.manager)
    account = item.account
    assert len(check_ins(account)) == 3
    Account.objects.filter(pk=account.pk).update(
        street="Hafenstr. 1", postal_code="20457", city="Hamburg", legal_name="M GmbH"
    )
    # when: their first contract is finalized a week later
    contract_for(cast.kam, account=account, finalize_by=cast.cs)
    # then: still one set, the handoff's
    tasks = check_ins(account)
    assert [t.key for t in tasks] == [f"check-in:handoff:{d}" for d in (30, 60, 90)]


def test_a_renewal_contract_plans_no_check_ins(cast):
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    account = contract.account
    Task.objects.filter(account=account).update(done_at=timezone.now())  # all done
    # the renewal offer of the contract is accepted, signed and finalized
    offer = lifecycle.offer_create_from_contract(contract=contract, actor=cast.kam)
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    acceptance.offer_accept(
        offer=offer, option=offer.options.get(), name="Buyer", ip="192.0.2.1"
    )
    renewal = Contract.objects.get(offer=offer)
    assert renewal.previous_id == contract.pk
    renewal = contract_signing.contract_sign(
        contract=contract_signing.contract_send(contract=renewal),
        name="Buyer",
        agreed=True,
    )
    lifecycle.contract_finalize(contract=renewal, actor=cast.cs)
    assert len(check_ins(account)) == 3  # the first contract's, nothing new


def test_a_new_contract_after_the_first_set_ran_out_gets_its_own(cast):
    first = contract_for(cast.kam, finalize_by=cast.cs)
    account = first.account
    Task.objects.filter(account=account).update(done_at=timezone.now())
    second = contract_for(cast.kam, account=account, finalize_by=cast.cs)
    keys = {t.key for t in check_ins(account)}
    assert len(keys) == 6
    assert {f"check-in:contract:{second.number}:{d}" for d in (30, 60, 90)} < keys
