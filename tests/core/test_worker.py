"""The outbox through a real Celery worker on Redis (no eager mode)."""

import time

import pytest
from django.core import mail
from django.db import transaction

from core import services
from core.models import OutboundMessage
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_outbox_message_is_delivered_by_a_real_worker(celery_worker):
    # when a message is queued in a transaction
    with transaction.atomic():
        message = services.message_queue(
            to=["buyer@customer.example"],
            subject="Renewal of your subscription",
            body_text="Dear customer",
            attachments=[("terms.txt", b"Terms", "text/plain")],
        )
        # nothing leaves before commit
        time.sleep(0.5)
        assert mail.outbox == []
    # then the worker delivers it once
    assert wait_for(
        lambda: (
            OutboundMessage.objects.get(pk=message.pk).status
            == OutboundMessage.Status.SENT
        )
    ), "the worker did not deliver the message"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Renewal of your subscription"
    assert OutboundMessage.objects.get(pk=message.pk).attempts == 1


def test_sweep_task_on_the_worker_requeues_a_message_lost_by_the_broker(celery_worker):
    # given a READY message whose task never reached the broker
    message = OutboundMessage.objects.create(
        to=["cfo@customer.example"],
        subject="Invoice",
        body_text="Attached",
        from_email="k@x.io",
    )
    OutboundMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=message.created_at.replace(year=2020)
    )
    # when beat's sweep runs on the worker
    from core.tasks import outbox_sweep_task

    outbox_sweep_task.delay()
    # then
    assert wait_for(
        lambda: (
            OutboundMessage.objects.get(pk=message.pk).status
            == OutboundMessage.Status.SENT
        )
    )
    assert [m.subject for m in mail.outbox] == ["Invoice"]
