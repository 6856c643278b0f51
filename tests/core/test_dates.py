"""Property-based tests of the one date rule (kam.core.dates)."""

import calendar
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kam.core.dates import add_months, period_end

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
months = st.integers(min_value=1, max_value=120)


def test_documented_examples():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert period_end(date(2026, 1, 1), 12) == date(2026, 12, 31)
    assert period_end(date(2026, 1, 31), 1) == date(2026, 2, 27)


@given(days, months)
def test_keeps_the_day_or_clips_to_the_month_end(day, n):
    moved = add_months(day, n)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == n
    last = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == min(day.day, last)


@given(days, months)
def test_consecutive_periods_have_no_gap_and_no_overlap(start, n):
    end = period_end(start, n)
    assert end >= start
    assert period_end(end + timedelta(days=1), n) > end


@given(days.filter(lambda d: d.day <= 28), months)
def test_months_add_up_for_days_every_month_has(start, n):
    # for days 1–28 the rule is exact: n single months equal one n-month step
    step = start
    for _ in range(n):
        step = add_months(step, 1)
    assert step == add_months(start, n)
