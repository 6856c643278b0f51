"""Email tracking and replies (anymail webhooks): delivery status on the
offer, replies on the timeline, other inbound mail to review."""

import re

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Contact, TimelineEntry
from core import services as core_services
from core import state
from core.exceptions import ApplicationError
from core.i18n import Later
from offers.models import InboundMail, Offer
from offers.services.answers import notify_owner

Status = Offer.Status


DELIVERY_ORDER = {
    "": 0,
    "queued": 1,
    "sent": 2,
    "delivered": 3,
    "opened": 4,
    "bounced": 5,
    "failed": 5,
}
EVENT_TO_DELIVERY = {
    "queued": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "opened": "opened",
    "clicked": "opened",
    "bounced": "bounced",
    "rejected": "bounced",
    "failed": "bounced",
}


@transaction.atomic
def tracking_apply(
    *, event_id: str, provider_message_id: str, event_type: str, occurred_at
) -> bool:
    """Apply a provider's tracking event to the offer it concerns, once per event id."""
    from django.db import IntegrityError

    from core.models import OutboundMessage
    from offers.models import TrackingEvent

    message = OutboundMessage.objects.filter(
        provider_message_id=provider_message_id
    ).first()
    if message is None or not provider_message_id:
        return False
    try:
        with transaction.atomic():
            TrackingEvent.objects.create(
                event_id=event_id[:200],
                message=message,
                event_type=event_type,
                occurred_at=occurred_at or timezone.now(),
            )
    except IntegrityError:
        return False  # the provider sent this event before
    delivery = EVENT_TO_DELIVERY.get(event_type)
    if delivery is None:
        return True
    for offer in _delivery_raise(message, delivery):
        if delivery == "bounced":
            notify_owner(
                offer,
                _("Bounced: %(offer)s") % {"offer": offer.label},
                offer.contact.email,
            )
    return True


def _delivery_raise(message, delivery: str) -> list[Offer]:
    """Move the e-mail status of the offers `message` carried up to `delivery` (never
    back); return the offers that changed. Call inside a transaction."""
    changed = []
    offers = Offer.objects.select_for_update().select_related("account", "contact")
    for offer in offers.filter(message=message):
        if DELIVERY_ORDER[delivery] > DELIVERY_ORDER.get(offer.delivery, 0):
            offer.delivery = delivery
            offer.save(update_fields=["delivery", "updated_at"])
            changed.append(offer)
    return changed


@transaction.atomic
def delivery_from_outbox(*, message, failed: bool) -> int:
    """Show the outbox's outcome on the offers it carried; a failure tells the owner."""
    delivery = Offer.Delivery.FAILED if failed else Offer.Delivery.SENT
    changed = _delivery_raise(message, delivery)
    for offer in changed if failed else ():
        notify_owner(
            offer,
            _("Not delivered: %(offer)s") % {"offer": offer.label},
            message.last_error,
        )
    return len(changed)


def _offer_for_reply(in_reply_to: str, references: str) -> Offer | None:
    """The offer whose e-mail the reply answers: by our Message-ID in its
    In-Reply-To or References, nothing else (a subject is anyone's to write)."""
    from core.models import OutboundMessage

    ids = {i.strip() for i in f"{in_reply_to} {references}".split() if i.strip()}
    if not ids:
        return None
    message = OutboundMessage.objects.filter(rfc_message_id__in=ids).first()
    return Offer.objects.filter(message=message).first() if message else None


def _offer_named_in(subject: str) -> Offer | None:
    match = re.search(r"OF-\d{4}-\d{5}", subject or "")
    if match is None:
        return None
    return Offer.objects.filter(number=match.group(0)).order_by("-revision").first()


def _account_of_sender(from_email: str) -> Account | None:
    """The one account whose contact has this address, or None (none or several)."""
    if not from_email:
        return None
    accounts = list(
        Contact.objects.filter(email__iexact=from_email)
        .values_list("account_id", flat=True)
        .distinct()[:2]
    )
    return Account.objects.get(pk=accounts[0]) if len(accounts) == 1 else None


def _mail_on_timeline(mail: InboundMail, *, actor=None) -> TimelineEntry:
    if mail.is_answer:
        title = Later(
            gettext_noop("Reply from %(sender)s on offer %(offer)s"),
            sender=mail.from_email,
            offer=mail.offer.label,
        )
    else:  # the KAM read it and vouches for it
        title = Later(
            gettext_noop("Mail from %(sender)s: %(subject)s"),
            sender=mail.from_email,
            subject=mail.subject[:150],
        )
    return TimelineEntry.objects.create(
        account=mail.account,
        kind=TimelineEntry.Kind.EMAIL,
        occurred_at=mail.received_at,
        title=title,
        summary=mail.text[:2000],
        actor=actor,
    )


@transaction.atomic
def inbound_reply_apply(
    *,
    from_email: str,
    subject: str,
    text: str,
    in_reply_to: str = "",
    references: str = "",
    message_id: str = "",
) -> InboundMail | None:
    """Keep an inbound mail once (per Message-ID). A reply to one of our offer
    e-mails goes on the account timeline as the customer's word; any other mail,
    even one naming an offer in its subject (anyone can write a subject), waits
    in the review list for the account's KAM. None: the provider sent it again."""
    message_id = message_id.strip()[:250] or None
    offer = _offer_for_reply(in_reply_to, references)
    named = offer or _offer_named_in(subject)
    account = named.account if named else _account_of_sender(from_email)
    fields = {
        "from_email": from_email[:254],
        "subject": subject[:300],
        "text": text[:20000],
        "account": account,
        "offer": named,
        "is_answer": offer is not None,
        "status": (
            InboundMail.Status.ON_TIMELINE
            if offer is not None
            else InboundMail.Status.TO_REVIEW
        ),
    }
    if message_id is None:
        mail = InboundMail.objects.create(**fields)
    else:
        mail, created = InboundMail.objects.get_or_create(
            message_id=message_id, defaults=fields
        )
        if not created:
            return None
    if offer is not None:
        _mail_on_timeline(mail)
        notify_owner(
            offer, _("Reply on %(offer)s") % {"offer": offer.label}, subject[:200]
        )
    elif account is not None:
        core_services.notification_create(
            user=account.owner,
            title=_("To review: a mail from %(sender)s that answers none of ours")
            % {"sender": from_email[:100]},
            body=f"{subject[:300]}\n\n{text[:1000]}",
            url=reverse("offers:inbox") + f"#mail-{mail.pk}",
        )
    return mail


@transaction.atomic
def inbound_mail_decide(*, mail: InboundMail, actor, keep: bool) -> InboundMail:
    """Put a reviewed mail on its account's timeline (keep) or dismiss it."""
    mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
    target = InboundMail.Status.ON_TIMELINE if keep else InboundMail.Status.DISMISSED
    if mail.status == target:
        return mail
    if not state.can_become(mail, target):
        raise ApplicationError(state.refusal(mail, target))
    if keep and mail.account is None:
        raise ApplicationError(
            _("This mail belongs to no account: it can only be dismissed.")
        )
    mail.status, mail.decided_by, mail.decided_at = target, actor, timezone.now()
    mail.save(update_fields=["status", "decided_by", "decided_at"])
    if keep:
        _mail_on_timeline(mail, actor=actor)
    return mail
