"""Template helpers of the accounts app."""

from django import template

from accounts.rows import account_rows_html

register = template.Library()


@register.filter
def account_rows(accounts):
    """The account table's rows (`accounts.rows`): `{{ accounts|account_rows }}`."""
    return account_rows_html(accounts)
