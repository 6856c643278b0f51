"""Panels and folded forms that apps above accounts add to the account 360.

Accounts cannot import contracts or renewals (imports point one way), so those apps
register a function here from their AppConfig.ready(); each gets the account and
the user and returns a template name and its context.

A folded form (`register_form`) is rendered only when its fold is opened
(`accounts.views.account_form`): the 360 stays light.
"""

from collections.abc import Callable
from typing import NamedTuple

_PANELS: list[Callable] = []


class FoldedForm(NamedTuple):
    build: Callable  # (request, account) -> an unbound form
    action: str  # the URL name the form posts to, with the account's id
    button: str
    test_id: str


FORMS: dict[str, FoldedForm] = {}


def register_form(kind: str, form: FoldedForm) -> None:
    """Serve `form` at a URL that calls `account_form` with {"kind": kind}."""
    FORMS[kind] = form


def register(panel: Callable) -> Callable:
    if panel not in _PANELS:
        _PANELS.append(panel)
    return panel


def panels_for(*, account, user) -> list[dict]:
    return [panel(account=account, user=user) for panel in _PANELS]


# Columns of the account table that apps above accounts fill: each function gets
# the page's accounts and sets its attribute on each (one query for the page).
_COLUMNS: list[Callable] = []


def register_column(fill: Callable) -> Callable:
    if fill not in _COLUMNS:
        _COLUMNS.append(fill)
    return fill


def fill_columns(accounts: list) -> None:
    """Let every registered column set its value on the accounts of one page."""
    if accounts:
        for fill in _COLUMNS:
            fill(accounts)
