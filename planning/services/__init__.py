"""Checks the planning services (plans, voice of the customer) share."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import can_change
from core.exceptions import ApplicationError


def require_change(actor, account) -> None:
    """Refuse unless `actor` may change `account`."""
    if not can_change(actor, account):
        raise ApplicationError(_("You cannot change this account."))


def require_own_contact(account, contact) -> None:
    """Refuse a contact of another account (None is fine)."""
    if contact is not None and contact.account_id != account.pk:
        raise ApplicationError(
            _("The contact belongs to another account."), extra={"field": "contact"}
        )


def require_past(day: date, field: str) -> None:
    """Refuse a date that lies in the future."""
    if day > timezone.localdate():
        raise ApplicationError(
            _("The date lies in the future."), extra={"field": field}
        )
