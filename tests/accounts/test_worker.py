"""Task reminders through a real Celery worker on Redis."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connection

from accounts.tasks import portfolio_recompute_task, task_reminders_send_task
from kam.celery import app as celery_app
from kam.core.models import Notification, OutboundMessage
from tests.factories import AccountFactory, OrderLineFactory, TaskFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _close_db(**kwargs):
    connection.close()


@pytest.fixture
def worker(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    celery_app.control.purge()
    task_postrun.connect(_close_db, weak=False)
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10
    ):
        yield
    task_postrun.disconnect(_close_db)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_reminder_job_on_a_real_worker(worker, cast):
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


def test_portfolio_recompute_on_a_real_worker(worker, cast):
    account = AccountFactory(owner=cast.kam)
    OrderLineFactory(account=account)
    portfolio_recompute_task.delay()
    assert wait_for(lambda: account.__class__.objects.get(pk=account.pk).tier == "A")
