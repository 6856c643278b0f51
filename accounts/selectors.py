"""Reads of the accounts app; every one applies the access rule."""

from django.db.models import QuerySet

from accounts.models import Account
from kam.core.access import get_visible_or_404, visible_to


def account_list_for_user(*, user) -> QuerySet[Account]:
    """Return the accounts `user` may see, with owner and deputy loaded."""
    return visible_to(
        Account.objects.select_related("owner", "owner__team", "deputy"), user
    )


def account_get_for_user(*, user, pk) -> Account:
    """Fetch one account `user` may see, or raise 404."""
    return get_visible_or_404(
        Account.objects.select_related("owner", "owner__team", "deputy"), user, pk=pk
    )
