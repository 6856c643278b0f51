"""The one date rule for terms and billing periods.

Adding months keeps the day of the month and clips it to the month's last day when
the target month is shorter: 31 Jan + 1 month = 28 Feb (29 Feb in a leap year);
29 Feb + 1 year = 28 Feb. A period that starts on `start` and lasts n months ends
the day before `add_months(start, n)`, so consecutive periods never overlap nor
leave a gap, and n periods of one month equal one period of n months.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from django.utils import timezone


@lru_cache(maxsize=8192)  # pure, and batch jobs ask for the same dates again and again
def add_months(day: date, months: int) -> date:
    """Move by whole months, clipping to the end of a shorter month."""
    return day + relativedelta(months=months)


def period_end(start: date, months: int) -> date:
    """The last day of a period of `months` months that starts on `start`."""
    return add_months(start, months) - timedelta(days=1)


def local_datetime(day: date, hour: int = 0) -> datetime:
    """The moment `hour` o'clock strikes on `day` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour)))
