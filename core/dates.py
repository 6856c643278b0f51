"""The one date rule for terms and billing periods.

Every period is anchored to the day its contract started, and never drifts.

* A period of n months that starts on day d ends the day before day d of the
  n-th month after, and on that month's last day when the month has no day d
  (as § 188 (3) BGB counts months): 31 Jan + 1 month ends on 28 Feb (29 Feb in a
  leap year), and a year from 29 Feb 2028 ends on 28 Feb 2029.
* The next period starts the day after, so periods never overlap nor leave a gap.
* Billing periods count from the anchor (the contract's first day), not from the
  last period: a monthly contract from 31 Jan has periods 31 Jan–28 Feb,
  1 Mar–30 Mar, 31 Mar–30 Apr, 1 May–30 May, … 31 Dec–30 Jan, twelve in its
  year, and the next term starts again on 31 Jan.

`boundary(anchor, n)` is the first day of the period that starts n months after
the anchor; the periods are the spans between consecutive boundaries.
"""

import calendar
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from django.core.signals import setting_changed
from django.utils import formats, timezone
from django.utils.translation import get_language


@lru_cache(maxsize=8192)  # pure, and batch jobs ask for the same dates again and again
def add_months(day: date, months: int) -> date:
    """Move by whole months, clipping to the end of a shorter month (due dates)."""
    return day + relativedelta(months=months)


@lru_cache(maxsize=8192)
def boundary(anchor: date, months: int) -> date:
    """The day a period starts `months` months after `anchor`.

    The anchor's day of the month in the target month, or the first of the month
    after when the target month is too short (so the period before ends on the
    short month's last day).
    """
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if anchor.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, anchor.day)
    return date(year, month, 1) + relativedelta(months=1)


def period_end(start: date, months: int) -> date:
    """The last day of a period of `months` months that starts on `start`."""
    return boundary(start, months) - timedelta(days=1)


def months_index(anchor: date, day: date) -> int:
    """The number n of whole months from `anchor` with boundary(anchor, n) <= day."""
    n = (day.year - anchor.year) * 12 + day.month - anchor.month
    while n > 0 and boundary(anchor, n) > day:
        n -= 1
    while boundary(anchor, n + 1) <= day:
        n += 1
    return n


def anchored_period(anchor: date, day: date, months: int) -> tuple[date, date]:
    """The whole billing period (first and last day) of `months` months, counted
    from `anchor`, that contains `day`."""
    k = months_index(anchor, day) // months
    return boundary(anchor, k * months), boundary(anchor, (k + 1) * months) - timedelta(
        days=1
    )


def local_datetime(day: date, hour: int = 0) -> datetime:
    """The moment `hour` o'clock strikes on `day` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def show_date(day: date) -> str:
    """A date as people read it in the active language: 2 Oct 2027 in English,
    02.10.2027 in German (kam/formats); never the US month-first form."""
    return _shown(day, get_language())


@lru_cache(maxsize=4096)
def _shown(day: date, language: str | None) -> str:
    # Django's date_format takes some 40 µs; a night's thousands of timeline
    # entries name the same few days (formats are fixed while the process runs)
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _forget_shown(**kwargs) -> None:
    _shown.cache_clear()  # a test changed a format setting (Django clears its own)
    _natural.cache_clear()


setting_changed.connect(_forget_shown)


def natural_day(value: date | datetime) -> str:
    """ "today", "yesterday", "tomorrow" or the date, in the active language
    (Django's naturalday, local time), made once per day and language."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return _natural(value, timezone.localdate(), get_language())


@lru_cache(maxsize=1024)
def _natural(day: date, today: date, language: str | None) -> str:
    from django.contrib.humanize.templatetags.humanize import naturalday

    return naturalday(day)  # relative to `today`, which is part of the key


def show_datetime(moment: datetime) -> str:
    """A moment in local time as people read it in the active language."""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


# Dates people and programs may enter: a due date in the year 92 or 9999 is a typo,
# and Python gives such years odd offsets (Europe/Berlin was +00:53:28 before 1893).
# One range for the forms (core.forms) and the API (core.drf).
EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)


def in_range(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def out_of_range(show=None) -> str:
    """The message for a date outside EARLIEST–LATEST; `show` formats the bounds
    (the reader's short date by default, ISO for the API)."""
    from django.utils.translation import gettext

    show = show or show_date
    return gettext("Enter a date between %(start)s and %(end)s.") % {
        "start": show(EARLIEST),
        "end": show(LATEST),
    }
