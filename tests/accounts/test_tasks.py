from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import DigestLog
from accounts.services import todos
from core.exceptions import ApplicationError
from core.models import Notification
from tests.factories import AccountFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_due_task_gets_one_reminder_in_the_bell_and_by_email(
    cast, django_capture_on_commit_callbacks
):
    account = AccountFactory(owner=cast.kam)
    due = TaskFactory(assignee=cast.kam, account=account, title="Call the CFO")
    TaskFactory(
        assignee=cast.kam, due_at=timezone.now() + timedelta(hours=1)
    )  # not yet
    TaskFactory(assignee=cast.kam, done_at=timezone.now())  # done
    with django_capture_on_commit_callbacks(execute=True):
        assert todos.task_reminders_send() == 1
        assert todos.task_reminders_send() == 0  # idempotent
    note = Notification.objects.get(user=cast.kam)
    assert note.title == "Due: Call the CFO"
    assert note.url == reverse("accounts:task-edit", args=[due.pk])
    assert [m.subject for m in mail.outbox] == ["Due: Call the CFO"]
    assert "Call the CFO" in mail.outbox[0].body


def test_moving_the_due_date_re_arms_the_reminder(cast):
    task = TaskFactory(assignee=cast.kam)
    todos.task_reminders_send()
    task = todos.task_update(task=task, due_at=timezone.now() - timedelta(minutes=1))
    assert task.reminder_sent_at is None
    assert todos.task_reminders_send() == 1
    assert Notification.objects.filter(user=cast.kam).count() == 2


def test_task_for_an_account_the_assignee_cannot_see_is_refused(cast):
    account = AccountFactory(owner=cast.kam)
    with pytest.raises(ApplicationError, match="cannot see this account"):
        todos.task_create(
            title="x",
            due_at=timezone.now(),
            assignee=cast.kam3,
            account=account,
            actor=cast.kam,
        )
    assert not account.tasks.exists()


def test_daily_digest_goes_out_once_per_user_and_day(
    cast, django_capture_on_commit_callbacks
):
    day = timezone.localdate()
    at = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(
        hours=15
    )
    TaskFactory(assignee=cast.kam, title="Today", due_at=at)
    TaskFactory(assignee=cast.kam, title="Late", due_at=at - timedelta(days=3))
    TaskFactory(assignee=cast.kam, title="Tomorrow", due_at=at + timedelta(days=1))
    TaskFactory(assignee=cast.kam2, title="Done", due_at=at, done_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert todos.task_digest_send(day=day) == 1
        assert todos.task_digest_send(day=day) == 0
    assert DigestLog.objects.count() == 1
    body = mail.outbox[0].body
    assert "Today" in body
    assert "Late" in body
    assert "Tomorrow" not in body
    assert body.index("Overdue") < body.index("Late") < body.index("Due today")


def test_calendar_feed_lists_tasks_and_rotates(client, cast):
    account = AccountFactory(owner=cast.kam, name="Nordlicht Media")
    TaskFactory(assignee=cast.kam, account=account, title="QBR", due_at=timezone.now())
    TaskFactory(assignee=cast.kam2, title="Not mine", due_at=timezone.now())
    url = reverse("accounts:calendar-feed", args=[cast.kam.calendar_token])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["QBR"]
    assert str(events[0]["location"]) == "Nordlicht Media"
    # a wrong token is a 404; rotating kills the old URL
    assert (
        client.get(reverse("accounts:calendar-feed", args=["nope"])).status_code == 404
    )
    client.force_login(cast.kam)
    client.post(reverse("accounts:calendar-rotate"))
    assert client.get(url).status_code == 404
    cast.kam.refresh_from_db()
    new = reverse("accounts:calendar-feed", args=[cast.kam.calendar_token])
    assert client.get(new).status_code == 200


def test_bell_counts_unread_and_opening_marks_read(client, cast):
    from core.services import notification_create

    note = notification_create(user=cast.kam, title="Due: x", url="/accounts/tasks/")
    notification_create(user=cast.kam, title="evil", url="https://evil.example/")
    client.force_login(cast.kam)
    html = client.get(reverse("core:home")).content.decode()
    assert 'data-testid="bell-count">2<' in html
    response = client.get(reverse("core:notification-open", args=[note.pk]))
    assert response["Location"] == "/accounts/tasks/"
    evil = Notification.objects.get(title="evil")
    response = client.get(reverse("core:notification-open", args=[evil.pk]))
    assert response["Location"] == reverse("core:notifications")
    other = notification_create(user=cast.kam2, title="theirs")
    assert (
        client.get(reverse("core:notification-open", args=[other.pk])).status_code
        == 404
    )


def test_task_toggle_and_list(client, cast):
    task = TaskFactory(assignee=cast.kam, title="Prepare QBR")
    client.force_login(cast.kam)
    client.post(reverse("accounts:task-toggle", args=[task.pk]), {"done": "1"})
    task.refresh_from_db()
    assert task.is_done
    assert (
        "Prepare QBR"
        in client.get(reverse("accounts:tasks") + "?show=done").content.decode()
    )
    client.force_login(cast.kam3)
    response = client.post(
        reverse("accounts:task-toggle", args=[task.pk]), {"done": "0"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("kam", True), ("kam2", True), ("manager", True), ("cs", True),
     ("kam3", False), ("manager2", False), ("admin", False)],
)  # fmt: skip
def test_a_task_without_an_account_goes_only_to_people_near_the_kam(
    client, cast, who, allowed
):
    assignee = getattr(cast, who)
    due = (timezone.now() + timedelta(days=1)).isoformat()
    client.force_login(cast.kam)
    response = client.post(
        "/api/v1/tasks/",
        {"title": "Prepare the QBR", "due_at": due, "assignee": assignee.username},
        content_type="application/json",
    )
    if allowed:
        assert response.status_code == 201, response.content
        return
    # the defect: any active user, administrators included, got a bell and a mail
    assert response.status_code == 400
    assert "your team, its manager or customer services" in str(response.json())
    assert not todos.Task.objects.exists()
    assert not Notification.objects.filter(user=assignee).exists()
    with pytest.raises(ApplicationError, match="customer services"):
        todos.task_create(
            title="x", due_at=timezone.now(), assignee=assignee, actor=cast.kam
        )
