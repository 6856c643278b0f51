"""The suite's calendar: the day a test run takes place is an input, not luck.

`pytest --today=2027-01-31` (or `KAM_TEST_TODAY=2027-01-31`) moves the whole run to
that day, at noon in the app's time zone (`--today=2027-01-31T23:59` picks the hour):
`time.time()`, `datetime.now()`, `date.today()` and so Django's `timezone.now()` and
`localdate()` all answer from there. The clock keeps ticking, so timeouts, leases and
"a second later" still work; starting at noon leaves the run twelve hours before the
date changes. Without either, the run takes place on the real date, at noon too, so a
run that starts at 23:59 does not see two dates.

Processes that the tests start (a command in a subprocess, with the test settings)
inherit `KAM_TEST_TODAY` and `KAM_TEST_CLOCK_SHIFT` and read the same clock: the
shift is what the run's clock is ahead of the real one, in seconds.

`time.monotonic()` and `time.perf_counter()` are left alone (time-machine does not
move them): they measure durations, not dates.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

ENV = "KAM_TEST_TODAY"
SHIFT_ENV = "KAM_TEST_CLOCK_SHIFT"
NOON = "12:00"

_traveller: time_machine.travel | None = None
_today: date | None = None
_origin: float | None = None  # where this process's clock started, in epoch seconds


def parse(value: str, zone: str) -> datetime:
    """`YYYY-MM-DD` (noon) or `YYYY-MM-DDTHH:MM[:SS]`, in `zone`; ValueError names
    what is wrong."""
    text = value.strip()
    if "T" not in text and " " not in text:
        text = f"{text}T{NOON}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date: give YYYY-MM-DD, e.g. 2027-01-31"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def start(value: str | None, zone: str) -> date:
    """Move this process to `value` (the real date when None); idempotent. A process
    started by a test (KAM_TEST_CLOCK_SHIFT set) joins the parent's clock instead."""
    global _traveller, _today, _origin
    if _traveller is not None:
        return _today
    shift = os.environ.get(SHIFT_ENV)
    if shift is not None:
        destination = time.time() + float(shift)
    else:
        if not value:
            value = datetime.now(ZoneInfo(zone)).date().isoformat()
        destination = parse(value, zone).timestamp()
        os.environ[SHIFT_ENV] = repr(destination - time.time())
    _origin = destination
    _traveller = time_machine.travel(destination, tick=True)
    _traveller.start()
    _today = datetime.now(ZoneInfo(zone)).date()
    os.environ[ENV] = _today.isoformat()
    return _today


def stop() -> None:
    global _traveller, _today, _origin
    if _traveller is not None:
        _traveller.stop()
    _traveller = _today = _origin = None


def today() -> date | None:
    """The run's date, or None when the clock was not moved."""
    return _today


def origin() -> float | None:
    """When (epoch seconds, on the moved clock) this process's clock started."""
    return _origin


def noon(day: date, zone: str) -> datetime:
    """Noon of `day` in `zone`: where a test worked out by hand for one day moves to
    (time-machine's `time_machine.move_to(noon(TODAY, settings.TIME_ZONE))`)."""
    return datetime.combine(day, datetime.min.time().replace(hour=12), ZoneInfo(zone))


def upcoming(month: int, day: int, after: date | None = None) -> date:
    """The first `month`/`day` after `after` (the run's date by default): a test
    about a calendar day (31 January, a leap day) starts there, on whatever day the
    suite runs, instead of on a fixed date the run may already have passed."""
    after = after or date.today()
    year = after.year
    while True:
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February outside a leap year
            candidate = None
        if candidate is not None and candidate > after:
            return candidate
        year += 1
