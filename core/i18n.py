"""Messages stored once and read in each reader's language.

A timeline entry is written by one person (or a nightly job) and read by others, each
in their own language. Text translated when it is written stays in the writer's
language for good. A `Later` keeps the message id and its values instead; it is
translated, and its dates formatted, when it is shown:

    TimelineEntry.objects.create(
        account=account, kind=..., title=Later(gettext_noop("Task: %(title)s"), title=t)
    )

Mark the message id with `gettext_noop` so that makemessages finds it. Values may be
strings, numbers, dates, datetimes, lazily translated labels (a choice's label) and
other `Later`s; anything else is kept as its text.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext

from core.dates import show_date, show_datetime


class Later:
    """A message translated when shown: its id and its values, kept as JSON."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params):
        self.msgid = str(msgid)
        self.params = params

    def __str__(self) -> str:
        return render(self.as_json())

    def __repr__(self) -> str:
        return f"Later({self.msgid!r}, {self.params!r})"

    def as_json(self) -> list:
        return [self.msgid, {k: _encode(v) for k, v in self.params.items()}]


def stored(value) -> list | None:
    """`value` as a stored message: a `Later`, or a lazily translated label; else
    None (plain text, kept as it is)."""
    if isinstance(value, Later):
        return value.as_json()
    encoded = _encode(value) if isinstance(value, Promise) else None
    return encoded["later"] if isinstance(encoded, dict) else None


def _encode(value):
    if isinstance(value, Later):
        return {"later": value.as_json()}
    if isinstance(value, Promise):  # gettext_lazy: a label from the choices
        args = getattr(value, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):  # gettext_lazy(msgid)
            return {"later": [args[0], {}]}
        return str(value)  # pgettext_lazy and others: kept as written
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _decode(value, translate):
    if isinstance(value, dict):
        if "later" in value:
            return render(value["later"], translate)
        if "datetime" in value:
            return show_datetime(datetime.fromisoformat(value["datetime"]))
        if "date" in value:
            return show_date(date.fromisoformat(value["date"]))
    return value


def render(data, translate=gettext) -> str:
    """A stored message (`Later.as_json()`) in the active language."""
    msgid, params = data
    text = translate(msgid)
    if not params:
        return text
    values = {k: _decode(v, translate) for k, v in params.items()}
    try:
        return text % values
    except (KeyError, ValueError, TypeError):  # a translation that lost a value
        return msgid % values


def renderer():
    """`render` for many messages shown at once in the active language (a night's
    timeline events): each message id is translated once, not once per message."""
    return functools.partial(render, translate=functools.cache(gettext))
