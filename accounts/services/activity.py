"""Touchpoints, documents and the account timeline."""

import hashlib
import json
from datetime import timedelta
from pathlib import PurePath

import magic
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Contact, Document, TimelineEntry, Touchpoint
from core import services as core_services
from core.bulk import db_datetime, insert_rows
from core.exceptions import ApplicationError
from core.i18n import Later, renderer, stored

# Types a document may have, found from its content, and the extension it gets.
ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
    "text/csv": ".csv",
    # e-invoices (XRechnung) as issued
    "text/xml": ".xml",
    "application/xml": ".xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        ".pptx"
    ),
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}


@transaction.atomic
def touchpoint_log(
    *,
    account: Account,
    actor,
    channel: str,
    subject: str,
    occurred_at=None,
    contacts=(),
    notes: str = "",
    outcome: str = "",
) -> Touchpoint:
    """Record a call, meeting, visit, email or event with the account."""
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(
            _("A touchpoint cannot lie in the future; plan it as a task instead."),
            extra={"field": "occurred_at"},
        )
    if channel not in Touchpoint.Channel.values:
        raise ApplicationError(_("Unknown channel."), extra={"field": "channel"})
    foreign = [c for c in contacts if c.account_id != account.pk]
    if foreign:
        raise ApplicationError(_("Only contacts of this account can take part."))
    touchpoint = Touchpoint.objects.create(
        account=account,
        occurred_at=occurred_at,
        channel=channel,
        subject=subject.strip(),
        notes=notes,
        outcome=outcome,
        created_by=actor,
    )
    touchpoint.contacts.set(contacts)
    TimelineEntry.objects.create(
        account=account,
        occurred_at=occurred_at,
        kind=TimelineEntry.Kind.TOUCHPOINT,
        title=Later(
            gettext_noop("%(channel)s: %(subject)s"),
            channel=Touchpoint.Channel(touchpoint.channel).label,
            subject=touchpoint.subject,
        ),
        summary=outcome or notes[:300],
        actor=actor,
        touchpoint=touchpoint,
    )
    Account.objects.filter(pk=account.pk).filter(
        Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=occurred_at)
    ).update(last_touch_at=occurred_at)
    return touchpoint


def _safe_filename(original: str, extension: str) -> str:
    # the last part of a path written with either slash, without leading dots
    name = (original or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = PurePath(name).stem.lstrip(".")[:150]
    try:
        stem = get_valid_filename(stem)
    except SuspiciousFileOperation:  # nothing left of it
        stem = ""
    return f"{stem or 'document'}{extension}"


def _is_picture(uploaded_file) -> bool:
    """Tell whether a PNG or JPEG decodes as one (a picture header in front of
    something else is no picture)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(uploaded_file) as image:
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    finally:
        uploaded_file.seek(0)


@transaction.atomic
def document_upload(
    *, account: Account, actor, uploaded_file, title: str = ""
) -> Document:
    """File a document on the account after checking its size and real type."""
    limit = settings.KAM_DOCUMENT_MAX_BYTES
    if uploaded_file.size > limit:
        raise ApplicationError(
            _("The file is %(size)s; documents may have at most %(limit)s.")
            % {
                "size": filesizeformat(uploaded_file.size),
                "limit": filesizeformat(limit),
            },
            extra={"field": "file"},
        )
    if uploaded_file.size == 0:
        raise ApplicationError(_("The file is empty."), extra={"field": "file"})
    head = uploaded_file.read(8192)
    uploaded_file.seek(0)
    mimetype = magic.from_buffer(head, mime=True)
    if mimetype == "application/zip" or mimetype == "application/octet-stream":
        # Office files are ZIPs; libmagic needs the whole file to tell them apart.
        content = uploaded_file.read()
        uploaded_file.seek(0)
        mimetype = magic.from_buffer(content, mime=True)
    extension = ALLOWED_TYPES.get(mimetype)
    if extension is None:
        raise ApplicationError(
            _(
                "This file's content is %(type)s, which cannot be filed. Allowed: PDF, "
                "images (PNG, JPEG), text and CSV, Word, Excel, PowerPoint and "
                "OpenDocument files."
            )
            % {"type": mimetype},
            extra={"field": "file"},
        )
    if mimetype.startswith("image/") and not _is_picture(uploaded_file):
        raise ApplicationError(
            _("This file claims to be a picture (%(type)s) but is no readable one.")
            % {"type": mimetype},
            extra={"field": "file"},
        )
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    document = Document(
        account=account,
        filename=_safe_filename(uploaded_file.name, extension),
        mimetype=mimetype,
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        title=title.strip(),
        uploaded_by=actor,
    )
    document.file.save(document.filename, uploaded_file, save=False)
    document.save()
    TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.DOCUMENT,
        title=Later(gettext_noop("Document: %(name)s"), name=str(document)),
        summary=f"{document.filename} · {filesizeformat(document.size)}",
        actor=actor,
        document=document,
    )
    return document


@transaction.atomic
def account_email_send(
    *, account: Account, actor, contact: Contact, subject: str, body: str
) -> TimelineEntry:
    """Email a contact of the account through the outbox and keep it on the timeline."""
    if contact.account_id != account.pk:
        raise ApplicationError(_("Choose a contact of this account."))
    if contact.do_not_contact:
        raise ApplicationError(
            _("%(name)s asked not to be contacted.") % {"name": contact}
        )
    if not contact.email:
        raise ApplicationError(_("%(name)s has no email address.") % {"name": contact})
    message = core_services.message_queue(
        to=[contact.email],
        subject=subject,
        body_text=body,
        reply_to=[actor.email] if actor.email else [],
        related=account,
    )
    return TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.EMAIL,
        title=Later(
            gettext_noop("Email to %(name)s: %(subject)s"),
            name=str(contact),
            subject=message.subject,
        ),
        summary=body[:300],
        actor=actor,
        message=message,
    )


def timeline_events_bulk(rows, now) -> None:
    """Add (account_id, title, summary) events to many timelines at once (a night's
    renewals, a batch of invoices); a title or summary given as a `Later` is shown
    in each reader's language."""
    timeline_rows_insert(timeline_event_rows(rows, now))


# A value not known yet when the events are made (an invoice's number, taken under
# a lock as late as possible): `timeline_row_filled` puts it in afterwards.
SLOT = "\ue000"  # Unicode private use: in no message or value
_SLOT_JSON = json.dumps(SLOT)[1:-1]  # as json.dumps writes it


def timeline_event_rows(rows, now) -> list[tuple]:
    """The rows `timeline_rows_insert` writes for (account_id, title, summary)
    events; their messages shown in the active language, each message id
    translated once."""
    show = renderer()

    def shown(value, message) -> str:
        return str(value) if message is None else show(message)

    def row(account_id, title, summary) -> tuple:
        # each message encoded once, and shown from that (a night's renewals)
        kept = {"title": stored(title), "summary": stored(summary)}
        text = json.dumps({k: v for k, v in kept.items() if v is not None})
        return (account_id, at, event, shown(title, kept["title"]),
                shown(summary, kept["summary"]), "", text)  # fmt: skip

    at = db_datetime(now)
    event = TimelineEntry.Kind.EVENT
    return [row(a, t, s) for a, t, s in rows]


def timeline_row_filled(row: tuple, value: str) -> tuple:
    """An event row with the `SLOT` in its title and message replaced by `value`."""
    account_id, at, kind, title, summary, related, text = row
    return (account_id, at, kind, title.replace(SLOT, value),
            summary.replace(SLOT, value), related,
            text.replace(_SLOT_JSON, json.dumps(value)[1:-1]))  # fmt: skip


def timeline_rows_insert(rows: list[tuple]) -> None:
    """Write rows made by `timeline_event_rows` (titles cut to their column)."""
    insert_rows(
        TimelineEntry,
        ["account_id", "occurred_at", "kind", "title", "summary",
         "related_object_id", "text"],
        [(a, at, k, title[:250], *rest) for a, at, k, title, *rest in rows],
    )  # fmt: skip


@transaction.atomic
def document_share(*, document: Document, shared: bool, actor) -> Document:
    """Share a document with the account's portal contacts (or stop), on the
    timeline."""
    if document.shared_in_portal == shared:
        return document
    document.shared_in_portal = shared
    document.save(update_fields=["shared_in_portal", "updated_at"])
    title = (
        gettext_noop("Shared in the customer portal: %(doc)s")
        if shared
        else gettext_noop("No longer shared in the customer portal: %(doc)s")
    )
    TimelineEntry.objects.create(
        account=document.account, kind=TimelineEntry.Kind.DOCUMENT,
        title=Later(title, doc=str(document)), actor=actor,
    )  # fmt: skip
    return document
