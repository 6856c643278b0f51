"""Template helpers of the accounts app."""

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from accounts.panels import fill_columns

register = template.Library()


def account_rows_html(accounts) -> SafeString:
    """The account table's rows (`jinja2/accounts/_account_rows.html`, escaped
    there), with the columns the apps above fill in (next contract end, health)."""
    accounts = list(accounts)
    fill_columns(accounts)
    rows = engines["jinja2"].get_template("accounts/_account_rows.html")
    return mark_safe(rows.render({"accounts": accounts}))  # noqa: S308 (Jinja2 autoescapes)


@register.filter
def account_rows(accounts):
    """The account table's rows: `{{ accounts|account_rows }}`."""
    return account_rows_html(accounts)
