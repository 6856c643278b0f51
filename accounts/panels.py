"""Panels that apps above accounts add to the account 360.

Accounts cannot import contracts or renewals (imports point one way), so those apps
register a function here from their AppConfig.ready(); each gets the account and
the user and returns a template name and its context.
"""

from collections.abc import Callable

_PANELS: list[Callable] = []


def register(panel: Callable) -> Callable:
    if panel not in _PANELS:
        _PANELS.append(panel)
    return panel


def panels_for(*, account, user) -> list[dict]:
    return [panel(account=account, user=user) for panel in _PANELS]
