"""The reports an export can write, by key (a registry: the reports live in apps
above this layer and register themselves when their app is ready).

A report is a class built as `Report(user=..., params=..., today=...)`: `params` is
its filter (team, KAM, period; a page's query string or an export's stored copy).
Its `sheets()` are the workbook's tables, each `(title, headers, rows)`, where
`rows` may be a function, called only when that table is written. The page, the
export task and the nightly precompute use the same class.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, Protocol

Sheet = tuple[str, Sequence[str], Iterable | Callable[[], Iterable]]


class Report(Protocol):
    key: str
    title: Any  # a lazy translation

    def __init__(self, *, user, params=None, today: date | None = None): ...

    @property
    def filename(self) -> str: ...

    def sheets(self) -> list[Sheet]: ...


_REPORTS: dict[str, type[Report]] = {}


def register_report(report: type[Report]) -> type[Report]:
    """Class decorator: make a report known by its `key`."""
    _REPORTS[report.key] = report
    return report


def report_class(key: str) -> type[Report]:
    try:
        return _REPORTS[key]
    except KeyError:
        raise LookupError(f"no report {key!r}") from None


def registered_reports() -> list[type[Report]]:
    return list(_REPORTS.values())
