"""Task reminders and the portfolio recompute through a real Celery worker on Redis."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.utils import timezone

from accounts.models import Account, PortfolioConfig
from accounts.tasks import portfolio_recompute_task, task_reminders_send_task
from core.models import Notification, OutboundMessage
from tests.conftest import wait_for
from tests.factories import AccountFactory, OrderLineFactory, TaskFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finished():
    """How many times each task has finished on the worker (task_postrun)."""
    counts = Counter()

    def count(sender=None, **kwargs):
        counts[sender.name] += 1

    task_postrun.connect(count, weak=False)
    yield counts
    task_postrun.disconnect(count)


def test_reminder_job_on_a_real_worker(celery_worker, cast, finished):
    account = AccountFactory(owner=cast.kam)
    TaskFactory(assignee=cast.kam, account=account, title="Call the CFO")
    task_reminders_send_task.delay()
    assert wait_for(lambda: Notification.objects.filter(user=cast.kam).exists())
    # the email is queued on commit and delivered by the same worker
    assert wait_for(lambda: OutboundMessage.objects.filter(status="sent").exists())
    assert [m.subject for m in mail.outbox] == ["Due: Call the CFO"]
    task_reminders_send_task.delay()  # a second run reminds nobody again
    assert wait_for(lambda: finished[task_reminders_send_task.name] == 2)
    assert Notification.objects.filter(user=cast.kam).count() == 1
    assert OutboundMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_portfolio_recompute_on_a_real_worker(celery_worker, cast, finished):
    """Three accounts whose revenue makes one of each tier (800 / 150 / 50 of 1,000
    with A to 80 % and B to 95 %), each starting in a tier it must leave."""
    PortfolioConfig.objects.update_or_create(
        pk=1, defaults={"a_share": 80, "b_share": 95}
    )
    recently = timezone.localdate() - timedelta(days=10)
    expected = {}
    for revenue, before, after in (
        ("800", "C", "A"),
        ("150", "A", "B"),
        ("50", "B", "C"),
    ):
        account = AccountFactory(owner=cast.kam, tier=before)
        OrderLineFactory(account=account, net_amount=Decimal(revenue), currency="EUR",
                         ordered_on=recently)  # fmt: skip
        expected[account.pk] = after
    portfolio_recompute_task.delay()
    assert wait_for(lambda: finished[portfolio_recompute_task.name] == 1)
    tiers = dict(Account.objects.filter(pk__in=expected).values_list("pk", "tier"))
    assert tiers == expected
