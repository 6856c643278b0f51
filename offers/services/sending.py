"""Sending an offer (its PDF filed and emailed with an acceptance link, once),
and the acceptance link's token."""

import hashlib
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import TimelineEntry
from accounts.services import activity, todos
from catalog.models import PackageVersion
from catalog.services import package_version_lock
from core import services as core_services
from core import state
from core.exceptions import ApplicationError
from core.i18n import Later
from offers import placeholders
from offers.models import Offer, OfferOption, OfferTemplate
from offers.services import documents
from offers.services.approval import approval_reasons, check_complete, offer_with_lines
from offers.services.templates import offer_template, placeholder_values

Status = Offer.Status


def _check_sendable(offer: Offer) -> None:
    check_complete(offer)
    contact = offer.contact
    if contact.do_not_contact:
        raise ApplicationError(
            _("%(name)s asked not to be contacted.") % {"name": contact}
        )
    if not contact.email:
        raise ApplicationError(_("%(name)s has no email address.") % {"name": contact})
    reasons = approval_reasons(offer)
    if reasons and offer.status != Status.APPROVED:
        raise ApplicationError(
            _("This offer needs a Sales Manager's approval before it can be sent: %s")
            % " ".join(reasons)
        )


def _fingerprint(offer: Offer, lines: list) -> tuple:
    """What the PDF shows and the sending depends on: if it is the same under the
    lock as when the PDF was rendered, the PDF is the offer's. `lines` as
    `_lines_seen` or `_lines_now` give them."""
    return (
        offer.status,
        offer.approved_at,
        offer.updated_at,
        offer.contact_id,
        offer.contact.email,
        lines,
    )


_LINE_FIELDS = ("quantity", "unit_price", "discount_percent", "description")


def _lines_key(row: tuple):
    return row[0], row[2] or 0


def _lines_seen(offer: Offer) -> list[tuple]:
    """Each option with each of its lines (an option without lines once), from the
    offer's prefetched lines."""
    rows = []
    for option in offer.options.all():
        lines = option.lines.all()
        rows.extend(
            (option.pk, option.name, line.pk, *(getattr(line, f) for f in _LINE_FIELDS))
            for line in lines
        )
        if not lines:
            rows.append((option.pk, option.name, None, None, None, None, None))
    return sorted(rows, key=_lines_key)


def _lines_now(offer: Offer) -> list[tuple]:
    """The same rows as `_lines_seen`, read afresh in one query."""
    rows = OfferOption.objects.filter(offer_id=offer.pk).values_list(
        "pk", "name", "lines__pk", *(f"lines__{f}" for f in _LINE_FIELDS)
    )
    return sorted(rows, key=_lines_key)


def offer_send(*, offer: Offer, actor, follow_up_days=(3,)) -> Offer:
    """Render, file and email the offer with its PDF and acceptance link (once).

    The PDF (about a second of WeasyPrint) is rendered before the offer's row is
    locked; under the lock the offer must still be what was rendered."""
    seen = offer_with_lines(offer)
    if seen.status == Status.SENT:
        return seen  # a double click sends once
    _check_sendable(seen)
    pdf = documents.offer_pdf(seen, loaded=True)
    return _offer_sent(
        offer=seen, actor=actor, pdf=pdf,
        seen=_fingerprint(seen, _lines_seen(seen)), follow_up_days=follow_up_days,
    )  # fmt: skip


_SENT_FIELDS = ("status", "sent_at", "document", "pdf_sha256", "message", "delivery")


@transaction.atomic
def _offer_sent(*, offer: Offer, actor, pdf: bytes, seen: tuple, follow_up_days):
    """Under the offer's lock: its row and its lines read afresh (two queries), and
    sent only if they are what was rendered. The rest comes from `offer` as loaded
    for the PDF: equal fingerprints mean equal lines, status and approval."""
    locked = state.lock(offer, "contact")
    if locked.status == Status.SENT:
        return locked  # sent meanwhile, by the other click
    if _fingerprint(locked, _lines_now(locked)) != seen:
        raise ApplicationError(
            _("The offer changed while it was being sent; please send it again.")
        )
    contact = offer.contact = locked.contact  # as it is now: still reachable?
    if contact.do_not_contact:
        raise ApplicationError(
            _("%(name)s asked not to be contacted.") % {"name": contact}
        )
    filename = f"{offer.number}-{offer.revision}.pdf"
    document = activity.document_upload(
        account=offer.account,
        actor=actor,
        uploaded_file=SimpleUploadedFile(filename, pdf, "application/pdf"),
        title=_("Offer %(offer)s") % {"offer": offer.label},
    )
    values = placeholder_values(offer)
    template = offer_template(OfferTemplate.Kind.EMAIL, offer.language)
    message = core_services.message_queue(
        to=[contact.email],
        subject=placeholders.render_text(template.subject, values),
        body_text=placeholders.render_text(template.body, values),
        reply_to=[actor.email] if actor.email else [],
        attachments=[(filename, pdf, "application/pdf")],
        related=offer,
    )
    state.transition(offer, Status.SENT, actor=actor)
    offer.sent_at = timezone.now()
    offer.document = document
    offer.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    offer.message = message
    offer.delivery = Offer.Delivery.QUEUED
    offer.save(update_fields=[*_SENT_FIELDS, "updated_at"])
    for version_id in {
        line.package_version_id
        for option in offer.options.all()
        for line in option.lines.all()
    } - {None}:
        package_version_lock(version=PackageVersion(pk=version_id))
    TimelineEntry.objects.create(
        account=offer.account,
        kind=TimelineEntry.Kind.EMAIL,
        title=Later(
            gettext_noop("Offer %(offer)s sent to %(name)s"),
            offer=offer.label,
            name=str(contact),
        ),
        summary=offer.title,
        actor=actor,
        message=message,
    )
    for days in follow_up_days:
        todos.task_create(
            title=_("Follow up on offer %(offer)s") % {"offer": offer.label},
            due_at=timezone.now() + timedelta(days=days),
            assignee=offer.account.owner,
            account=offer.account,
            actor=actor,
            related=offer,
        )
    return offer
