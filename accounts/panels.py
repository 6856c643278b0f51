"""Panels and folded forms of the account 360, its own and those of apps above it.

The 360 pays only for what is on screen. The page itself renders the header, the
order situation and the account's data; every other panel (`Lazy`) is a section
the browser fetches when it scrolls into view (htmx, `accounts.views.account_panel`)
and that is cached by the account's version (`accounts.versions`): a write
concerning the account raises the version in its own transaction, so the next
look renders the panel anew.

Accounts cannot import contracts or insights (imports point one way), so those apps
register here from their AppConfig.ready(): `register` adds a part of the order
situation (rendered with the page), `register_lazy` a lazy section.

A folded form (`register_form`) is rendered only when its fold is opened
(`accounts.views.account_form`).
"""

from collections.abc import Callable
from typing import NamedTuple

_PANELS: list[Callable] = []


class Lazy(NamedTuple):
    """A section of the 360 loaded when it comes into view."""

    name: str  # in its URL and its element's id
    title: str  # (lazy) the section's heading while it loads
    template: str  # a Jinja2 template: the whole <section>
    build: Callable  # (request, account, editable) -> the template's context
    column: str = "main"  # "main" or "side"
    # the cache key's own parts besides the account's version, the language, the
    # day and whether the user may change the account; None: never cached
    key: Callable | None = lambda request, account: ()
    per_user: bool = False  # its HTML holds the user's CSRF token: keyed by user


LAZY: dict[str, Lazy] = {}


def register_lazy(panel: Lazy, *, before: str | None = None) -> None:
    """Add `panel` to the 360 (after the others of its column, or before `before`)."""
    items = [(k, v) for k, v in LAZY.items() if k != panel.name]
    at = next((i for i, (k, _v) in enumerate(items) if k == before), len(items))
    items.insert(at, (panel.name, panel))
    LAZY.clear()
    LAZY.update(items)


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


def lazy_html(request, account, panel: Lazy, editable: bool) -> str:
    """The panel's section for this account: from the cache while the account's
    version (and the rest of the key) is the same, else rendered and kept."""
    from core.fragments import fragment
    from core.jinja2 import render_partial

    def render() -> str:
        context = panel.build(request, account, editable)
        return render_partial(
            panel.template,
            {"account": account, "editable": editable, "user": request.user,
             "panel": panel, **context},
            request=request,
        )  # fmt: skip

    if panel.key is None:
        return render()
    parts = (
        account.pk, account.version, int(editable),
        request.user.pk if panel.per_user else "", *panel.key(request, account),
    )  # fmt: skip
    return fragment(f"360-{panel.name}", parts, render)
