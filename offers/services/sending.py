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
from offers.models import Offer, OfferTemplate
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


def _fingerprint(offer: Offer) -> tuple:
    """What the PDF shows and the sending depends on: if it is the same under the
    lock as when the PDF was rendered, the PDF is the offer's."""
    return (
        offer.status,
        offer.approved_at,
        offer.updated_at,
        offer.contact_id,
        offer.contact.email,
        [
            (option.pk, option.name, line.pk, line.quantity, line.unit_price,
             line.discount_percent, line.description)
            for option in offer.options.all()
            for line in option.lines.all()
        ],
    )  # fmt: skip


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
        offer=seen, actor=actor, pdf=pdf, seen=_fingerprint(seen),
        follow_up_days=follow_up_days,
    )  # fmt: skip


@transaction.atomic
def _offer_sent(*, offer: Offer, actor, pdf: bytes, seen: tuple, follow_up_days):
    state.lock(offer)
    offer = offer_with_lines(offer)
    if offer.status == Status.SENT:
        return offer  # sent meanwhile, by the other click
    if _fingerprint(offer) != seen:
        raise ApplicationError(
            _("The offer changed while it was being sent; please send it again.")
        )
    _check_sendable(offer)
    contact = offer.contact
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
    offer.save()
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
