import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from core import services
from core.exceptions import ApplicationError
from core.models import OutboundAttachment, OutboundMessage
from kam.celery import app as celery_app

pytestmark = pytest.mark.django_db
Status = OutboundMessage.Status


class FlakyBackend(EmailBackend):
    """The provider, failing the first `failures` sends with `error`."""

    failures = 0
    error: Exception = smtplib.SMTPServerDisconnected("connection lost")
    calls = 0

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls <= FlakyBackend.failures:
            raise FlakyBackend.error
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.core.test_outbox.FlakyBackend"
    FlakyBackend.calls = 0
    FlakyBackend.failures = 0
    FlakyBackend.error = smtplib.SMTPServerDisconnected("connection lost")
    return FlakyBackend


def queue(**kwargs):
    defaults = {
        "to": ["buyer@customer.example"],
        "subject": "Your offer",
        "body_text": "Hi",
    }
    return services.message_queue(**(defaults | kwargs))


def test_queue_stores_and_sends_after_commit(django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = queue(
            cc=["boss@customer.example"],
            body_html="<p>Hi</p>",
            attachments=[("offer.pdf", b"%PDF-1.7 fake", None)],
        )
    # then
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["buyer@customer.example"]
    assert sent.cc == ["boss@customer.example"]
    assert sent.extra_headers["Message-ID"] == message.rfc_message_id
    assert sent.alternatives[0][1] == "text/html"
    assert sent.attachments[0][0] == "offer.pdf"
    assert sent.attachments[0][1] == b"%PDF-1.7 fake"
    assert sent.attachments[0][2] == "application/pdf"


def test_nothing_is_sent_before_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue()
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.READY


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"to": []}, "at least one recipient"),
        ({"to": ["not-an-address"]}, "not a valid email address"),
        ({"cc": ["bad@"]}, "not a valid email address"),
        ({"subject": "   "}, "needs a subject"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(kwargs, error):
    with pytest.raises(ApplicationError, match=error):
        queue(**kwargs)
    assert OutboundMessage.objects.count() == 0
    assert OutboundAttachment.objects.count() == 0
    assert mail.outbox == []


def test_sending_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    services.message_send(message_id=message.pk)
    services.message_send(message_id=message.pk)
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_transient_failure_is_retried_until_sent(
    flaky, monkeypatch, django_capture_on_commit_callbacks
):
    # given the provider drops the connection twice
    flaky.failures = 2
    # eager mode re-raises Retry when it propagates errors; a worker does not
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    # when (eager Celery runs the retries at once; backoff base is 0 in tests)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    # then
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 3
    assert flaky.calls == 3
    assert len(mail.outbox) == 1


def test_transient_failures_stop_at_the_bound(flaky, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    flaky.failures = 99
    message = queue()  # on_commit does not fire inside the test transaction
    for _ in range(2):
        with pytest.raises(services.TransientDeliveryError):
            services.message_send(message_id=message.pk)
    services.message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 3
    assert "SMTPServerDisconnected" in message.last_error
    assert mail.outbox == []


def test_backoff_grows(flaky, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    flaky.failures = 99
    message = queue()
    before = timezone.now()
    with pytest.raises(services.TransientDeliveryError) as first:
        services.message_send(message_id=message.pk)
    with pytest.raises(services.TransientDeliveryError) as second:
        services.message_send(message_id=message.pk)
    assert (first.value.countdown, second.value.countdown) == (30, 60)
    message.refresh_from_db()
    assert message.status == Status.READY
    assert message.next_attempt_at >= before + timedelta(seconds=60)


def test_permanent_failure_fails_at_once(flaky):
    flaky.failures = 1
    flaky.error = smtplib.SMTPRecipientsRefused({"x@customer.example": (550, b"no")})
    message = queue()
    services.message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert mail.outbox == []


def test_sweep_requeues_only_overdue_ready_messages(django_capture_on_commit_callbacks):
    # given one message left READY for two minutes (the broker was down) and one new
    old = queue(subject="Old")
    new = queue(subject="New")
    sent = queue(subject="Done")
    OutboundMessage.objects.filter(pk=old.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    OutboundMessage.objects.filter(pk=sent.pk).update(
        status=Status.SENT,
        sent_at=timezone.now(),
        next_attempt_at=timezone.now() - timedelta(minutes=5),
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        ids = services.outbox_sweep()
    # then
    assert ids == [old.pk]
    assert [m.subject for m in mail.outbox] == ["Old"]
    new.refresh_from_db()
    assert new.status == Status.READY


def test_sweep_recovers_a_message_stuck_in_sending(
    settings, django_capture_on_commit_callbacks
):
    message = queue()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING,
        attempts=1,
        sending_started_at=timezone.now() - timedelta(hours=1),
        next_attempt_at=timezone.now() - timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.outbox_sweep()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(mail.outbox) == 1


def test_a_message_being_sent_is_not_sent_again():
    message = queue()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, sending_started_at=timezone.now()
    )
    services.message_send(message_id=message.pk)
    assert mail.outbox == []


def test_retry_of_failed_message(django_capture_on_commit_callbacks):
    message = queue()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.FAILED, attempts=6
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.message_retry(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1


def test_retry_of_sent_message_is_refused(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    with pytest.raises(ApplicationError, match="Only failed messages"):
        services.message_retry(message_id=message.pk)
    assert len(mail.outbox) == 1
