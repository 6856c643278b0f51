"""Task reminders through a real Celery worker on Redis."""

import time

import pytest
from django.core import mail

from accounts.tasks import portfolio_recompute_task, task_reminders_send_task
from kam.core.models import Notification, OutboundMessage
from tests.conftest import wait_for
from tests.factories import AccountFactory, OrderLineFactory, TaskFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_reminder_job_on_a_real_worker(celery_worker, cast):
    account = AccountFactory(owner=cast.kam)
    TaskFactory(assignee=cast.kam, account=account, title="Call the CFO")
    task_reminders_send_task.delay()
    assert wait_for(lambda: Notification.objects.filter(user=cast.kam).exists())
    # the email is queued on commit and delivered by the same worker
    assert wait_for(lambda: OutboundMessage.objects.filter(status="sent").exists())
    assert [m.subject for m in mail.outbox] == ["Due: Call the CFO"]
    task_reminders_send_task.delay()  # a second run reminds nobody again
    time.sleep(1)
    assert Notification.objects.filter(user=cast.kam).count() == 1


def test_portfolio_recompute_on_a_real_worker(celery_worker, cast):
    account = AccountFactory(owner=cast.kam)
    OrderLineFactory(account=account)
    portfolio_recompute_task.delay()
    assert wait_for(lambda: account.__class__.objects.get(pk=account.pk).tier == "A")
