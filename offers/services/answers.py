"""The customer's answers (accept, decline), revisions, expiry and the
validity reminders."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import TimelineEntry
from accounts.services import todos
from core import services as core_services
from core import state
from core.exceptions import ApplicationError
from core.i18n import Later
from offers.models import Offer, OfferEvent, OfferOption
from offers.signals import offer_accepted

Status = Offer.Status


def notify_owner(offer: Offer, title: str, body: str = "") -> None:
    core_services.notification_create(
        user=offer.account.owner,
        title=title,
        body=body,
        url=reverse("offers:detail", args=[offer.pk]),
    )


def _answered_by(offer: Offer, *, name: str, ip, user_agent, title: str = "") -> None:
    """Record who answered, when and from where, and save the offer."""
    offer.answered_at = timezone.now()
    offer.signer_name = name.strip()
    offer.signer_title = title.strip()
    offer.signer_ip = ip
    offer.signer_user_agent = (user_agent or "")[:500]
    offer.save()


@transaction.atomic
def offer_accept(
    *,
    offer: Offer,
    option: OfferOption,
    name: str,
    title: str = "",
    ip: str | None = None,
    user_agent: str = "",
    channel: str = "web",
    actor=None,
) -> Offer:
    """Record the customer's acceptance of exactly one option (idempotent)."""
    offer = state.lock(offer)
    if offer.status == Status.ACCEPTED:
        if offer.accepted_option_id == option.pk:
            return offer
        raise ApplicationError(_("This offer was accepted already."))
    if option.offer_id != offer.pk:
        raise ApplicationError(_("Choose one of this offer's options."))
    if offer.status != Status.SENT:
        raise ApplicationError(_("This offer can no longer be accepted."))
    if offer.valid_until < timezone.localdate():
        raise ApplicationError(
            _("This offer expired on %(date)s.") % {"date": offer.valid_until}
        )
    if not name.strip():
        raise ApplicationError(_("Please give your name."), extra={"field": "name"})
    state.transition(
        offer,
        Status.ACCEPTED,
        actor=actor,
        comment=Later(gettext_noop("Option: %(o)s"), o=option.name),
    )
    offer.accepted_option = option
    offer.answer_channel = channel
    _answered_by(offer, name=name, title=title, ip=ip, user_agent=user_agent)
    TimelineEntry.objects.create(
        account=offer.account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(
            gettext_noop("Offer %(offer)s accepted: %(option)s"),
            offer=offer.label,
            option=option.name,
        ),
        summary=Later(
            gettext_noop("by %(name)s (%(channel)s)"),
            name=offer.signer_name,
            channel=channel,
        ),
        actor=actor,
    )
    notify_owner(
        offer,
        _("Accepted: %(offer)s, %(option)s")
        % {"offer": offer.label, "option": option.name},
        offer.account.name,
    )
    # the contract is made in this same transaction (contracts app, receivers.py)
    offer_accepted.send(sender=Offer, offer=offer, actor=actor)
    return offer


@transaction.atomic
def offer_decline(
    *, offer: Offer, reason: str, name: str = "", ip=None, user_agent="", actor=None
) -> Offer:
    """Record that the customer declined, with the reason (idempotent)."""
    offer = state.lock(offer)
    if offer.status == Status.DECLINED:
        return offer
    if offer.status != Status.SENT:
        raise ApplicationError(_("This offer can no longer be declined."))
    if not reason.strip():
        raise ApplicationError(_("Please tell us why."), extra={"field": "reason"})
    state.transition(offer, Status.DECLINED, actor=actor, comment=reason)
    offer.decline_reason = reason.strip()
    _answered_by(offer, name=name, ip=ip, user_agent=user_agent)
    TimelineEntry.objects.create(
        account=offer.account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(gettext_noop("Offer %(offer)s declined"), offer=offer.label),
        summary=reason[:300],
        actor=actor,
    )
    notify_owner(offer, _("Declined: %(offer)s") % {"offer": offer.label}, reason[:200])
    return offer


@transaction.atomic
def offer_revise(*, offer: Offer, actor) -> Offer:
    """Copy a sent offer into a new draft revision; the sent one is superseded."""
    offer = state.lock(offer)
    if hasattr(offer, "next_revision"):
        return offer.next_revision
    if offer.status != Status.SENT:
        raise ApplicationError(
            _("Only a sent offer gets a new revision; edit this one directly.")
        )
    state.transition(
        offer,
        Status.SUPERSEDED,
        actor=actor,
        comment=Later(gettext_noop("New revision")),
    )
    offer.save(update_fields=["status", "updated_at"])
    new = Offer.objects.get(pk=offer.pk)
    new.pk = None
    new.revision = offer.revision + 1
    new.previous = offer
    new.status = Status.DRAFT
    for field in (
        "approved_by",
        "approved_at",
        "sent_at",
        "document",
        "message",
        "accepted_option",
        "answered_at",
        "validity_reminder_sent_at",
    ):
        setattr(new, field, None)
    new.approval_comment = new.pdf_sha256 = new.delivery = ""
    new.needs_approval = False
    new.approval_reasons = []
    if new.valid_until < timezone.localdate():
        new.valid_until = timezone.localdate() + timedelta(days=30)
    new.created_by = actor
    new.save(force_insert=True)
    OfferEvent.objects.create(
        offer=new,
        to_status=Status.DRAFT,
        actor=actor,
        comment=Later(gettext_noop("Revision of %(o)s"), o=offer.label),
    )
    for option in offer.options.prefetch_related("lines"):
        lines = list(option.lines.all())
        option.pk = None
        option.offer = new
        option.save()
        for line in lines:
            line.pk = None
            line.option = option
            line.save()
    return new


def offers_expire(*, today: date | None = None) -> int:
    """Expire sent offers whose validity ended (nightly; idempotent)."""
    today = today or timezone.localdate()
    expired = 0
    for offer_id in Offer.objects.filter(
        status=Status.SENT, valid_until__lt=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            offer = state.lock(Offer(pk=offer_id))
            if offer.status != Status.SENT:
                continue
            state.transition(
                offer, Status.EXPIRED, comment=Later(gettext_noop("Validity ended"))
            )
            offer.save(update_fields=["status", "updated_at"])
            notify_owner(offer, _("Expired: %(offer)s") % {"offer": offer.label})
            expired += 1
    return expired


def offer_validity_reminders(*, today: date | None = None) -> int:
    """Remind the KAM N days before an unanswered offer's validity ends (once)."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.KAM_OFFER_REMINDER_DAYS)
    count = 0
    for offer in Offer.objects.filter(
        status=Status.SENT,
        valid_until__gte=today,
        valid_until__lte=horizon,
        validity_reminder_sent_at__isnull=True,
    ).select_related("account"):
        with transaction.atomic():
            updated = Offer.objects.filter(
                pk=offer.pk, validity_reminder_sent_at__isnull=True
            ).update(validity_reminder_sent_at=timezone.now())
            if not updated:
                continue
            todos.task_create(
                title=_("Offer %(offer)s ends on %(date)s: call %(name)s")
                % {
                    "offer": offer.label,
                    "date": offer.valid_until,
                    "name": offer.contact,
                },
                due_at=timezone.now(),
                assignee=offer.account.owner,
                account=offer.account,
                actor=None,
                related=offer,
            )
            count += 1
    return count
