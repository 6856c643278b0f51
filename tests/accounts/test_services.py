from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, TimelineEntry
from accounts.services import accounts as account_services
from accounts.services import activity, contacts
from accounts.validators import vat_error
from core.exceptions import ApplicationError
from tests.factories import AccountFactory, ContactFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("vat", "country", "ok"),
    [
        ("DE136695976", "DE", True),
        ("de 136 695 976", "DE", True),
        ("DE136695977", "DE", False),  # wrong check digit
        ("ATU13585627", "AT", True),
        ("DE136695976", "AT", False),  # German number for an Austrian company
        ("NL004495445B01", "NL", True),
        ("CHE-116.281.710 MWST", "CH", True),
        ("", "DE", True),
    ],
)
def test_vat_ids_are_checked_for_the_country(vat, country, ok):
    assert (vat_error(vat, country) is None) is ok


def test_account_update_refuses_an_invalid_vat_id_and_changes_nothing(cast):
    account = AccountFactory(owner=cast.kam, country="DE", vat_id="")
    with pytest.raises(ApplicationError, match="not a valid VAT id"):
        account_services.account_update(
            account=account, actor=cast.kam, vat_id="DE123456789"
        )
    account.refresh_from_db()
    assert account.vat_id == ""


def test_account_update_normalises_vat_and_records_history(cast):
    account = AccountFactory(owner=cast.kam, country="DE")
    account_services.account_update(
        account=account, actor=cast.kam, vat_id="de 136695976"
    )
    account.refresh_from_db()
    assert account.vat_id == "DE136695976"
    assert account.history.first().history_user == cast.kam


def test_corporate_group_cannot_loop(cast):
    group = AccountFactory(owner=cast.kam)
    child = AccountFactory(owner=cast.kam, parent=group)
    with pytest.raises(ApplicationError, match="own corporate group"):
        account_services.account_update(account=group, actor=cast.kam, parent=child)
    group.refresh_from_db()
    assert group.parent is None


def test_assigning_an_account_moves_open_tasks_and_logs_it(cast):
    account = AccountFactory(owner=cast.manager)
    open_task = TaskFactory(assignee=cast.manager, account=account)
    done_task = TaskFactory(
        assignee=cast.manager, account=account, done_at=timezone.now()
    )
    account_services.account_assign(account=account, owner=cast.kam, actor=cast.manager)
    open_task.refresh_from_db()
    done_task.refresh_from_db()
    assert open_task.assignee == cast.kam
    assert done_task.assignee == cast.manager
    assert TimelineEntry.objects.filter(
        account=account, title__contains="Assigned"
    ).exists()


def test_reporting_lines_stay_in_the_account_and_do_not_loop(cast):
    account = AccountFactory(owner=cast.kam)
    ceo = ContactFactory(account=account)
    cfo = ContactFactory(account=account, reports_to=ceo)
    stranger = ContactFactory()
    with pytest.raises(ApplicationError, match="same account"):
        contacts.contact_update(contact=cfo, reports_to=stranger)
    with pytest.raises(ApplicationError, match="circle"):
        contacts.contact_update(contact=ceo, reports_to=cfo)
    clerk = ContactFactory(account=account, reports_to=cfo)
    contacts.contact_delete(contact=cfo)
    clerk.refresh_from_db()
    assert clerk.reports_to == ceo  # moves up to the deleted contact's boss


def test_touchpoint_lands_on_the_timeline_and_moves_last_touch(cast):
    account = AccountFactory(owner=cast.kam)
    buyer = ContactFactory(account=account)
    when = timezone.now() - timedelta(hours=2)
    touchpoint = activity.touchpoint_log(
        account=account,
        actor=cast.kam,
        channel="call",
        subject="Renewal",
        occurred_at=when,
        contacts=[buyer],
        outcome="Wants an offer",
    )
    entry = TimelineEntry.objects.get(touchpoint=touchpoint)
    assert entry.kind == "touchpoint"
    assert entry.summary == "Wants an offer"
    account.refresh_from_db()
    assert account.last_touch_at == when
    # an older touchpoint does not move it back
    activity.touchpoint_log(
        account=account, actor=cast.kam, channel="email", subject="Old",
        occurred_at=when - timedelta(days=3),
    )  # fmt: skip
    account.refresh_from_db()
    assert account.last_touch_at == when


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"occurred_at": timezone.now() + timedelta(days=1)}, "future"),
        ({"channel": "fax"}, "Unknown channel"),
    ],
)
def test_bad_touchpoints_are_refused(cast, kwargs, message):
    account = AccountFactory(owner=cast.kam)
    data = {"account": account, "actor": cast.kam, "channel": "call", "subject": "x"}
    with pytest.raises(ApplicationError, match=message):
        activity.touchpoint_log(**(data | kwargs))
    assert not account.touchpoints.exists()
    assert not TimelineEntry.objects.exists()


def test_touchpoint_with_another_accounts_contact_is_refused(cast):
    account = AccountFactory(owner=cast.kam)
    with pytest.raises(ApplicationError, match="Only contacts of this account"):
        activity.touchpoint_log(
            account=account, actor=cast.kam, channel="call", subject="x",
            contacts=[ContactFactory()],
        )  # fmt: skip
    assert not account.touchpoints.exists()


def test_email_to_a_contact_goes_through_the_outbox(
    cast, django_capture_on_commit_callbacks
):
    from django.core import mail

    account = AccountFactory(owner=cast.kam)
    buyer = ContactFactory(account=account, email="buyer@customer.example")
    blocked = ContactFactory(account=account, do_not_contact=True)
    with django_capture_on_commit_callbacks(execute=True):
        entry = activity.account_email_send(
            account=account, actor=cast.kam, contact=buyer, subject="Hello", body="Hi"
        )
    entry.message.refresh_from_db()
    assert entry.message.status == "sent"
    assert mail.outbox[0].to == ["buyer@customer.example"]
    with pytest.raises(ApplicationError, match="asked not to be contacted"):
        activity.account_email_send(
            account=account, actor=cast.kam, contact=blocked, subject="x", body="y"
        )
    assert TimelineEntry.objects.filter(kind="email").count() == 1


def test_account_revenue_trend():
    account = Account(revenue_12m=Decimal("110"), revenue_prev_12m=Decimal("100"))
    assert account.revenue_trend == Decimal("10.0")
    assert Account(revenue_12m=Decimal("5")).revenue_trend is None
