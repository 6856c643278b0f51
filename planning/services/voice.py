"""The voice of the customer: NPS answers and advisory-board feedback."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Contact, TimelineEntry
from core.exceptions import ApplicationError
from core.i18n import Later
from planning.models import FeedbackItem, NpsResponse
from planning.services import require_change, require_own_contact, require_past


def _check(actor, account: Account, contact: Contact | None, on: date) -> None:
    require_change(actor, account)
    require_own_contact(account, contact)
    require_past(on, "date")


@transaction.atomic
def nps_record(
    *, actor, account: Account, score: int, contact: Contact | None = None,
    comment: str = "", answered_on: date | None = None,
) -> NpsResponse:  # fmt: skip
    """Record one NPS answer (0–10) on the account's timeline: by a user who may
    change the account, or (actor None) given by the contact in the customer
    portal."""
    answered_on = answered_on or timezone.localdate()
    if actor is None:  # the contact's own answer (portal)
        if contact is None:
            raise ApplicationError(_("Whose answer is it?"), extra={"field": "contact"})
        require_own_contact(account, contact)
        require_past(answered_on, "date")
    else:
        _check(actor, account, contact, answered_on)
    if not 0 <= score <= 10:
        raise ApplicationError(_("The score is a whole number from 0 to 10."),
                               extra={"field": "score"})  # fmt: skip
    answer = NpsResponse.objects.create(
        account=account, contact=contact, score=score, comment=comment.strip(),
        answered_on=answered_on, recorded_by=actor,
    )  # fmt: skip
    TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(gettext_noop("NPS answer: %(score)d of 10"), score=score),
        summary=": ".join(str(part) for part in (contact, answer.comment) if part),
        actor=actor,
    )
    return answer


@transaction.atomic
def feedback_create(
    *, actor, account: Account, kind: str, title: str, text: str = "",
    contact: Contact | None = None, raised_on: date | None = None,
) -> FeedbackItem:  # fmt: skip
    """Record advisory-board feedback, a product request or an escalation."""
    raised_on = raised_on or timezone.localdate()
    _check(actor, account, contact, raised_on)
    if kind not in FeedbackItem.Kind.values:
        raise ApplicationError(_("Choose a kind of feedback."), extra={"field": "kind"})
    if not title.strip():
        raise ApplicationError(
            _("Give the feedback a title."), extra={"field": "title"}
        )
    item = FeedbackItem.objects.create(
        account=account, contact=contact, kind=kind, title=title.strip(),
        text=text.strip(), raised_on=raised_on, recorded_by=actor,
    )  # fmt: skip
    TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(
            gettext_noop("%(kind)s: %(title)s"),
            kind=FeedbackItem.Kind(item.kind).label,
            title=item.title,
        ),
        summary=item.text,
        actor=actor,
    )
    return item


@transaction.atomic
def feedback_status_set(*, actor, item: FeedbackItem, status: str) -> FeedbackItem:
    """Move a feedback item to open / planned / done / declined."""
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    require_change(actor, item.account)
    if status not in FeedbackItem.Status.values:
        raise ApplicationError(_("Choose a status."), extra={"field": "status"})
    if item.status != status:
        item.status = status
        item.save(update_fields=["status", "updated_at"])
    return item
