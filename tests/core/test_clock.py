"""The run's date is the one asked for (tests/clock.py), in this process and in the
processes the tests start, and parsing a bad --today says what is wrong."""

import os
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests import clock

ROOT = Path(__file__).resolve().parents[2]


def test_every_clock_tells_the_runs_day():
    today = clock.today()
    assert today is not None  # the session always travels, to the real date by default
    assert timezone.localdate() == today
    assert date.today() == today
    assert datetime.fromtimestamp(
        time.time(), timezone.get_current_timezone()
    ).date() == (today)
    assert os.environ[clock.ENV] == today.isoformat()
    # started where asked (noon unless an hour was given) and ticking since
    assert clock.origin() <= time.time() < clock.origin() + 6 * 3600
    before = time.time()
    time.sleep(0.01)
    assert time.time() > before


def test_a_started_process_joins_the_runs_clock():
    out = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from django.utils import timezone; "
         "print(timezone.localdate().isoformat(), timezone.now().timestamp())"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kam.settings.test"},
    ).stdout.split()  # fmt: skip
    assert out[0] == clock.today().isoformat()
    # the same clock, not one started anew at noon: within seconds of this one
    assert abs(float(out[1]) - time.time()) < 30


def test_a_day_is_parsed_in_the_apps_zone():
    moment = clock.parse("2028-02-29", settings.TIME_ZONE)
    assert (moment.date(), moment.hour, str(moment.tzinfo)) == (
        date(2028, 2, 29), 12, settings.TIME_ZONE,
    )  # fmt: skip
    assert clock.parse("2027-12-31T23:30", "UTC").minute == 30
    with pytest.raises(ValueError, match="not a date"):
        clock.parse("31.12.2027", "UTC")
