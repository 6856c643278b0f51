"""Property-based tests of the one date rule (core.dates)."""

import calendar
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.dates import add_months, anchored_period, boundary, period_end

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
months = st.integers(min_value=1, max_value=120)


def test_documented_examples():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert period_end(date(2026, 1, 1), 12) == date(2026, 12, 31)
    # a period ends on the short month's last day; the next starts on the 1st
    assert period_end(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert boundary(date(2026, 1, 31), 1) == date(2026, 3, 1)
    assert boundary(date(2026, 1, 31), 2) == date(2026, 3, 31)
    assert period_end(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert anchored_period(date(2026, 1, 31), date(2026, 3, 10), 1) == (
        date(2026, 3, 1),
        date(2026, 3, 30),
    )


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


@given(days, months)
def test_a_period_ends_the_day_before_the_day_or_on_the_short_months_last(start, n):
    end = period_end(start, n)
    months_on = (end.year * 12 + end.month) - (start.year * 12 + start.month)
    last = calendar.monthrange(end.year, end.month)[1]
    if start.day == 1:
        assert months_on == n - 1 and end.day == last
    else:
        assert months_on == n
        assert end.day == min(start.day - 1, last) or (
            start.day > last and end.day == last
        )


@given(days, st.sampled_from([1, 3, 12]), st.integers(min_value=0, max_value=400))
def test_anchored_periods_contain_the_day_and_never_drift(anchor, step, offset):
    day = anchor + timedelta(days=offset)
    first, last = anchored_period(anchor, day, step)
    assert first <= day <= last
    assert first.day in (anchor.day, 1)
    assert (
        last + timedelta(days=1)
        == anchored_period(anchor, last + timedelta(days=1), step)[0]
    )


@given(days.filter(lambda d: d.day <= 28), months)
def test_months_add_up_for_days_every_month_has(start, n):
    # for days 1–28 the rule is exact: n single months equal one n-month step
    step = start
    for _ in range(n):
        step = add_months(step, 1)
    assert step == add_months(start, n)
