"""Writes of the core app: the email outbox."""

import logging
import mimetypes
import smtplib
import socket
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import signals
from core.exceptions import ApplicationError
from core.models import OutboundAttachment, OutboundMessage
from core.queueing import enqueue_on_commit

logger = logging.getLogger(__name__)
Status = OutboundMessage.Status


class TransientDeliveryError(Exception):
    """Delivery failed for a reason that may pass; try again after `countdown`."""

    def __init__(self, message, *, countdown: int):
        super().__init__(message)
        self.countdown = countdown


def _clean_addresses(addresses: Iterable[str], field: str) -> list[str]:
    cleaned = []
    for address in addresses or ():
        address = (address or "").strip()
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ApplicationError(
                _("“%(address)s” in %(field)s is not a valid email address.")
                % {"address": address, "field": field}
            ) from exc
        cleaned.append(address)
    return cleaned


@transaction.atomic
def message_queue(
    *,
    to: Sequence[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply_to: Sequence[str] = (),
    from_email: str | None = None,
    attachments: Sequence[tuple[str, bytes, str | None]] = (),
    related: models.Model | None = None,
) -> OutboundMessage:
    """Record an email in the outbox and queue its delivery after commit."""
    recipients = _clean_addresses(to, "to")
    if not recipients:
        raise ApplicationError(_("An email needs at least one recipient."))
    subject = " ".join((subject or "").split())
    if not subject:
        raise ApplicationError(_("An email needs a subject."))
    message = OutboundMessage.objects.create(
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        cc=_clean_addresses(cc, "cc"),
        bcc=_clean_addresses(bcc, "bcc"),
        reply_to=_clean_addresses(reply_to, "reply-to"),
        subject=subject[:998],
        body_text=body_text,
        body_html=body_html or "",
        related_content_type=(
            ContentType.objects.get_for_model(related) if related is not None else None
        ),
        related_object_id=str(related.pk) if related is not None else "",
    )
    for filename, content, mimetype in attachments:
        mimetype = mimetype or mimetypes.guess_type(filename)[0]
        attachment = OutboundAttachment(
            message=message,
            filename=filename,
            mimetype=mimetype or "application/octet-stream",
            size=len(content),
        )
        attachment.file.save(filename, ContentFile(content), save=False)
        attachment.save()
    _queue_delivery_on_commit(message.pk)
    return message


def _queue_delivery_on_commit(message_id: int) -> None:
    from core.tasks import message_send_task  # tasks import this module

    enqueue_on_commit(message_send_task, message_id)


def _is_transient(exc: Exception) -> bool:
    """Tell a failure that may pass (network, SMTP 4xx, API 5xx) from a final one."""
    status = getattr(exc, "status_code", None)
    if status is None and getattr(exc, "response", None) is not None:
        status = getattr(exc.response, "status_code", None)
    if status is not None:
        return status >= 500 or status in (408, 429)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if exc.__class__.__name__ in {"AnymailRecipientsRefused", "AnymailInvalidAddress"}:
        return False
    return isinstance(exc, ConnectionError | TimeoutError | socket.timeout | OSError)


def _backoff_seconds(attempts: int) -> int:
    return settings.OUTBOX_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))


def _build_email(message: OutboundMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email,
        to=message.to,
        cc=message.cc,
        bcc=message.bcc,
        reply_to=message.reply_to,
        headers={"Message-ID": message.rfc_message_id},
        connection=get_connection(settings.OUTBOX_DELIVERY_BACKEND),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as fh:
            email.attach(attachment.filename, fh.read(), attachment.mimetype)
    return email


def _claim(message_id: int) -> OutboundMessage | None:
    """Move a due message to SENDING; None when there is nothing to send."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        )
        if message is None or message.status in (Status.SENT, Status.FAILED):
            return None
        lease = timedelta(seconds=settings.OUTBOX_SENDING_LEASE_SECONDS)
        if (
            message.status == Status.SENDING
            and message.sending_started_at > now - lease
        ):
            return None  # another worker is delivering it right now
        message.status = Status.SENDING
        message.attempts += 1
        message.sending_started_at = now
        message.save(
            update_fields=["status", "attempts", "sending_started_at", "updated_at"]
        )
    return message


def message_send(*, message_id: int) -> OutboundMessage | None:
    """Deliver one outbox message; safe to call twice (it sends once)."""
    message = _claim(message_id)
    if message is None:
        return OutboundMessage.objects.filter(pk=message_id).first()
    try:
        email = _build_email(message)
        email.send()
    except Exception as exc:
        return _record_failure(message, exc)
    status = getattr(email, "anymail_status", None)
    message.status = Status.SENT
    message.sent_at = timezone.now()
    message.provider_message_id = (getattr(status, "message_id", None) or "")[:255]
    message.last_error = ""
    message.save(
        update_fields=[
            "status",
            "sent_at",
            "provider_message_id",
            "last_error",
            "updated_at",
        ]
    )
    logger.info("outbox: sent message %s", message.pk)
    signals.message_sent.send(sender=OutboundMessage, message=message)
    return message


def _record_failure(message: OutboundMessage, exc: Exception) -> OutboundMessage:
    transient = _is_transient(exc)
    retry = transient and message.attempts < settings.OUTBOX_MAX_ATTEMPTS
    message.last_error = f"{exc.__class__.__name__}: {exc}"[:4000]
    if retry:
        countdown = _backoff_seconds(message.attempts)
        message.status = Status.READY
        message.next_attempt_at = timezone.now() + timedelta(seconds=countdown)
    else:
        message.status = Status.FAILED
    message.save(
        update_fields=["status", "next_attempt_at", "last_error", "updated_at"]
    )
    if retry:
        logger.warning("outbox: message %s failed, will retry: %s", message.pk, exc)
        raise TransientDeliveryError(message.last_error, countdown=countdown) from exc
    logger.error("outbox: message %s failed permanently: %s", message.pk, exc)
    signals.message_failed.send(sender=OutboundMessage, message=message)
    return message


def outbox_sweep() -> list[int]:
    """Re-queue messages that should have gone out by now; return their ids."""
    now = timezone.now()
    stale_sending = now - timedelta(seconds=settings.OUTBOX_SENDING_LEASE_SECONDS)
    # A worker that died while sending leaves SENDING behind: deliver again
    # (at least once beats never).
    due_before = now - timedelta(seconds=settings.OUTBOX_SWEEP_AGE_SECONDS)
    OutboundMessage.objects.filter(
        status=Status.SENDING, sending_started_at__lt=stale_sending
    ).update(status=Status.READY, next_attempt_at=due_before, updated_at=now)
    ids = list(
        OutboundMessage.objects.filter(
            status=Status.READY, next_attempt_at__lte=due_before
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    for message_id in ids:
        _queue_delivery_on_commit(message_id)
    return ids


@transaction.atomic
def message_retry(*, message_id: int) -> OutboundMessage:
    """Send a failed message again (an administrator's decision)."""
    message = OutboundMessage.objects.select_for_update().get(pk=message_id)
    if message.status == Status.READY:
        return message
    if Status.READY not in OutboundMessage.TRANSITIONS[message.status]:
        raise ApplicationError(
            _("Only failed messages can be sent again; this one is %(status)s.")
            % {"status": message.get_status_display()}
        )
    message.status = Status.READY
    message.next_attempt_at = timezone.now()
    message.attempts = 0
    message.save(update_fields=["status", "next_attempt_at", "attempts", "updated_at"])
    _queue_delivery_on_commit(message.pk)
    return message


def notification_create(
    *, user, title: str, body: str = "", url: str = "", dedupe_key: str | None = None
):
    """Show a notification under the user's bell; once per `dedupe_key`."""
    from core.models import Notification

    if dedupe_key:
        notification, _created = Notification.objects.get_or_create(
            user=user,
            dedupe_key=dedupe_key,
            defaults={"title": title[:200], "body": body, "url": url},
        )
        return notification
    return Notification.objects.create(user=user, title=title[:200], body=body, url=url)


def notifications_create(
    *, users, title: str, body: str = "", url: str = "", dedupe_key: str | None = None
) -> None:
    """The same notification under each user's bell, in one statement: once per user
    and `dedupe_key` (a user who has it already gets no second one)."""
    from core.models import Notification

    Notification.objects.bulk_create(
        [
            Notification(
                user=user, title=title[:200], body=body, url=url, dedupe_key=dedupe_key
            )
            for user in users
        ],
        ignore_conflicts=bool(dedupe_key),
    )


def notification_mark_read(*, user, notification_ids=None) -> int:
    """Mark the user's notifications (all, or the given ones) read."""
    from core.models import Notification

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    marked = qs.update(read_at=timezone.now())
    if getattr(user, "unread_count", None) is not None:  # the bell of this request
        user.unread_count = max(user.unread_count - marked, 0)
    return marked


@transaction.atomic
def calendar_token_rotate(*, user):
    """Give the user a new calendar feed URL; the old one stops working."""
    import secrets

    from core.models import User

    user = User.objects.select_for_update().get(pk=user.pk)
    user.calendar_token = secrets.token_urlsafe(32)
    user.save(update_fields=["calendar_token"])
    return user


def series_take(*, series: str, year: int) -> int:
    """Take the next sequence number of a series for a year (gapless).

    Must run inside the caller's transaction: the counter row stays locked until
    the caller commits, so a rollback gives the number back.
    """
    return series_take_block(series=series, year=year, count=1)


def series_take_block(*, series: str, year: int, count: int) -> int:
    """Take `count` consecutive numbers of a series (gapless); return the first."""
    from core.models import SeriesCounter

    SeriesCounter.objects.get_or_create(series=series, year=year)
    counter = SeriesCounter.objects.select_for_update().get(series=series, year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def series_format(series: str, year: int, sequence: int) -> str:
    return f"{series}-{year}-{sequence:05d}"


def series_next(*, series: str, year: int) -> str:
    """Issue the next number of a series for a year, e.g. OF-2026-00042 (gapless)."""
    return series_format(series, year, series_take(series=series, year=year))
