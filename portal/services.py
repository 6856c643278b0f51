"""The customer portal: signing in by a one-time link, what a contact sees, and
what they can do, each through the service the KAM's side uses (notice, NPS,
tasks) and on the account's timeline."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Contact, TimelineEntry
from accounts.services import todos
from contracts.models import Contract
from contracts.services import notice
from core import services as core_services
from core.exceptions import ApplicationError
from core.i18n import Later
from core.links import absolute_url
from planning.services import voice
from portal.models import PortalLink

# what a contact may ask for (it becomes a task for the KAM)
CHANGES = {
    "billing_address": gettext_noop("Change of billing address"),
    "seats": gettext_noop("More or fewer seats"),
    "product": gettext_noop("A new product"),
    "other": gettext_noop("Something else"),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _over_limit(key: str, limit: int) -> bool:
    """Count one more request under `key` in the link's lifetime; True past the
    limit."""
    seconds = settings.KAM_PORTAL_LINK_MINUTES * 60
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        return False


def link_request(*, email: str, ip: str) -> int:
    """Send a sign-in link to each contact with this address who may use the
    portal; returns how many were sent (the page says the same either way).
    At most KAM_PORTAL_LINKS_PER_ADDRESS links per address, and ten times as many
    per client address, within a link's lifetime."""
    email = (email or "").strip().lower()
    limit = settings.KAM_PORTAL_LINKS_PER_ADDRESS
    if not email or "@" not in email:
        return 0
    if _over_limit(f"portal-ip:{ip}", limit * 10) or _over_limit(
        f"portal-email:{_digest(email)}", limit
    ):
        return 0
    contacts = Contact.objects.filter(
        email__iexact=email, portal_enabled=True, do_not_contact=False
    ).select_related("account")
    sent = 0
    for contact in contacts:
        _send_link(contact)
        sent += 1
    return sent


@transaction.atomic
def _send_link(contact: Contact) -> None:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    minutes = settings.KAM_PORTAL_LINK_MINUTES
    PortalLink.objects.create(
        contact=contact, token_sha256=_digest(token), created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )  # fmt: skip
    link = absolute_url(reverse("portal:enter", args=[token]))
    company = _seller_name()
    with translation.override(contact.account.language):
        subject = _("Your sign-in link to %(company)s's customer portal") % {
            "company": company
        }
        body = render_to_string(
            "emails/portal/link.txt",
            {"contact": contact, "link": link, "minutes": minutes, "company": company},
        )
    core_services.message_queue(
        to=[contact.email], subject=subject, body_text=body, related=contact
    )


def _seller_name() -> str:
    from core.models import SellerProfile

    profile = SellerProfile.current()
    return profile.name if profile else "KAM"


@transaction.atomic
def link_use(*, token: str, ip: str | None) -> Contact | None:
    """The contact a valid, unused link signs in (and the link used up), or None:
    unknown, used or expired, or the contact no longer on the portal."""
    link = (
        PortalLink.objects.select_for_update()
        .select_related("contact__account")
        .filter(token_sha256=_digest(token))
        .first()
    )
    if link is None or link.used_at or link.expires_at <= timezone.now():
        return None
    link.used_at, link.used_ip = timezone.now(), ip
    link.save(update_fields=["used_at", "used_ip"])
    contact = link.contact
    return contact if contact.portal_enabled and not contact.do_not_contact else None


def accounts_of(contact: Contact) -> list[Account]:
    """The accounts a contact sees: their own, and its subsidiaries where the KAM
    allows (a head office's contact)."""
    own = contact.account
    if not contact.portal_sees_group:
        return [own]
    return [own, *Account.objects.filter(parent=own).order_by("name")]


def _timeline(account: Account, contact: Contact, title: Later, summary: str = ""):
    TimelineEntry.objects.create(
        account=account, kind=TimelineEntry.Kind.EVENT, title=title,
        summary=summary or str(contact),
    )  # fmt: skip


@transaction.atomic
def change_request(*, contact: Contact, account: Account, kind: str, text: str):
    """A contact's request (billing address, seats, a product…): a task for the
    account's KAM, due in two days, and an event on the timeline."""
    if kind not in CHANGES:
        raise ApplicationError(_("Choose what you would like to change."),
                               extra={"field": "kind"})  # fmt: skip
    text = text.strip()
    if not text:
        raise ApplicationError(_("Tell us what you need."), extra={"field": "text"})
    title = _("Portal request from %(contact)s: %(what)s") % {
        "contact": contact, "what": _(CHANGES[kind]),
    }  # fmt: skip
    task = todos.task_create(
        title=title[:200], due_at=timezone.now() + timedelta(days=2),
        assignee=account.owner, actor=None, account=account, notes=text[:4000],
        related=contact,
    )  # fmt: skip
    title = Later(gettext_noop("Request in the portal: %(what)s"), what=CHANGES[kind])
    _timeline(account, contact, title, f"{contact}: {text[:500]}")
    return task


def notice_give(*, contact: Contact, contract: Contract) -> Contract:
    """A contact gives notice on a standing order: the same rule and service as
    the KAM's "Record customer's notice" (before the cancel-by date)."""
    return notice.contract_notice_receive(
        contract=contract, actor=None, received_on=timezone.localdate(),
        reason=_("Given in the customer portal by %(contact)s") % {"contact": contact},
    )  # fmt: skip


def nps_answer(*, contact: Contact, score: int, comment: str = ""):
    """A contact answers the NPS question (planning.services.voice)."""
    return voice.nps_record(
        actor=None, account=contact.account, contact=contact, score=score,
        comment=comment,
    )  # fmt: skip
