"""Template helpers of the accounts app."""

from django import template
from django.utils.safestring import SafeString

from accounts.panels import fill_columns
from core.jinja2 import render_partial

register = template.Library()


def account_rows_html(accounts) -> SafeString:
    """The account table's rows (`jinja2/accounts/_account_rows.html`, escaped
    there), with the columns the apps above fill in (next contract end, health)."""
    accounts = list(accounts)
    fill_columns(accounts)
    return render_partial("accounts/_account_rows.html", {"accounts": accounts})


@register.filter
def account_rows(accounts):
    """The account table's rows: `{{ accounts|account_rows }}`."""
    return account_rows_html(accounts)
