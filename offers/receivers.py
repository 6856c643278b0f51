"""Anymail webhooks: delivery tracking and inbound replies, handed to services."""

from anymail.signals import inbound, tracking
from django.dispatch import receiver

from core.signals import message_failed, message_sent
from offers.services import tracking as offer_tracking


@receiver(tracking, dispatch_uid="kam-offers-tracking")
def on_tracking(sender, event, esp_name, **kwargs):
    offer_tracking.tracking_apply(
        event_id=event.event_id
        or f"{esp_name}:{event.message_id}:{event.event_type}:{event.timestamp}",
        provider_message_id=event.message_id or "",
        event_type=event.event_type,
        occurred_at=event.timestamp,
    )


@receiver(message_sent, dispatch_uid="kam-offers-message-sent")
def on_message_sent(sender, message, **kwargs):
    offer_tracking.delivery_from_outbox(message=message, failed=False)


@receiver(message_failed, dispatch_uid="kam-offers-message-failed")
def on_message_failed(sender, message, **kwargs):
    offer_tracking.delivery_from_outbox(message=message, failed=True)


@receiver(inbound, dispatch_uid="kam-offers-inbound")
def on_inbound(sender, event, esp_name, **kwargs):
    message = event.message
    offer_tracking.inbound_reply_apply(
        from_email=str(message.from_email.addr_spec) if message.from_email else "",
        subject=message.subject or "",
        text=message.text or "",
        in_reply_to=message.get("In-Reply-To", "") or "",
        references=message.get("References", "") or "",
        message_id=message.get("Message-ID", "") or "",
    )
