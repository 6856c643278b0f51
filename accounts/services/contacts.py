from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from core.exceptions import ApplicationError, ConflictError, name_references

FIELDS = [*Contact.EDITABLE, *Contact.PORTAL, "external_ref"]


def _validate(contact: Contact) -> None:
    # an empty reference is no reference: "" twice would break the unique column
    contact.external_ref = (contact.external_ref or "").strip() or None
    if contact.portal_enabled and not contact.email:
        raise ApplicationError(
            _("The portal sends its sign-in link by email: give an email address."),
            extra={"field": "email"},
        )
    if contact.portal_enabled and contact.do_not_contact:
        raise ApplicationError(
            _("A contact not to be contacted cannot use the portal."),
            extra={"field": "portal_enabled"},
        )
    boss = contact.reports_to
    if boss is None:
        return
    if boss.account_id != contact.account_id:
        raise ApplicationError(
            _("A contact can only report to someone at the same account."),
            extra={"field": "reports_to"},
        )
    seen = {contact.pk}
    while boss is not None:
        if boss.pk in seen:
            raise ApplicationError(
                _("This reporting line would go in a circle."),
                extra={"field": "reports_to"},
            )
        seen.add(boss.pk)
        boss = boss.reports_to


@transaction.atomic
def contact_create(*, account: Account, **fields) -> Contact:
    """Add a contact to an account."""
    contact = Contact(account=account, **fields)
    _validate(contact)
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, **fields) -> Contact:
    """Change a contact."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    for name, value in fields.items():
        if name not in FIELDS:
            raise ApplicationError(_("The field %s cannot be changed here.") % name)
        setattr(contact, name, value)
    _validate(contact)
    contact.save(update_fields=[*fields, "updated_at"])
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    """Remove a contact; people who reported to them report to their boss. A contact
    that offers or contracts name stays (ConflictError naming them), and so does
    everything else: the whole removal is one transaction."""
    Contact.objects.filter(reports_to=contact).update(reports_to=contact.reports_to)
    try:
        contact.delete()
    except ProtectedError as exc:
        raise ConflictError(
            _(
                "%(contact)s cannot be removed: they are named on %(references)s. "
                "Mark them as “do not contact” instead."
            )
            % {"contact": contact, "references": name_references(exc.protected_objects)}
        ) from None
