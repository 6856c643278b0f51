"""Killed part-way, and two runs at once: nothing twice, nothing missed."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.models import Count

from contracts.models import ContractTerm, InvoiceLine, Subscription
from renewals.models import RenewalRun
from renewals.services import run
from tests.offers.helpers import ensure_defaults
from tests.renewals.conftest import clone, day_after

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def many(cast):
    """Seven standing orders ending on the same day."""
    from tests.contracts.helpers import contract_for

    ensure_defaults()
    first = contract_for(cast.kam, finalize_by=cast.cs)
    return [first, *clone(first, 6)]


def _slow_terms(seconds: float) -> None:
    """Make every insert of renewal terms take a while (one statement per chunk)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION kam_slow() RETURNS trigger AS $$ BEGIN "
            f"PERFORM pg_sleep({seconds}); RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER kam_slow AFTER INSERT ON contracts_contractterm "
            "FOR EACH STATEMENT EXECUTE FUNCTION kam_slow()"
        )


def _drop_slow() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS kam_slow ON contracts_contractterm")


def _assert_each_once(contracts, day) -> None:
    terms = Counter(
        ContractTerm.objects.filter(contract__in=contracts).values_list(
            "contract_id", flat=True
        )
    )
    assert set(terms.values()) == {2}, terms
    duplicates = (
        InvoiceLine.objects.filter(is_credit=False, subscription__isnull=False)
        .values("subscription", "period_start")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    subs = Subscription.objects.filter(contract__in=contracts)
    assert InvoiceLine.objects.filter(
        subscription__in=subs, period_start=day
    ).count() == (subs.count())


def test_a_run_killed_part_way_completes_on_the_next_run(many):
    day = day_after(many[0].end_on)
    _slow_terms(1.0)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kam.settings.test",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{
                k: connection.settings_dict[k] or ""
                for k in ("USER", "HOST", "PORT", "NAME")
            }
        ),
        "KAM_RENEWALS_CHUNK": "2",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_renewals", "--date", day.isoformat(),
         "--no-catch-up"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        # wait until the first chunk has committed, then kill the process hard
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if ContractTerm.objects.filter(business_date=day).exists():
                break
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    renewed_before = ContractTerm.objects.filter(business_date=day).count()
    assert 0 < renewed_before < len(many)
    assert RenewalRun.objects.get(business_date=day).status == "running"
    _drop_slow()
    # when the job runs again for the same date
    results = run.renewals_run(business_date=day, catch_up=False)
    # then it does the rest: every contract renewed and billed exactly once
    batch = results[-1][1]
    assert batch.counts["renewed"] == len(many) - renewed_before
    _assert_each_once(many, day)
    assert (
        run.renewals_run(business_date=day, catch_up=False)[-1][1].counts["renewed"]
        == 0
    )


def test_two_runs_at_once_never_process_the_same_contract(many, settings):
    settings.KAM_RENEWALS_CHUNK = 2
    day = day_after(many[0].end_on)
    _slow_terms(0.3)
    barrier = threading.Barrier(2)
    batches, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            batches.append(run.run_for_date(day)[1])
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    _drop_slow()
    assert errors == []
    renewed = [b.counts["renewed"] for b in batches]
    # both worked (the chunks interleave) and together renewed each contract once
    assert sum(renewed) == len(many) and min(renewed) > 0, renewed
    assert all(b.failures == [] for b in batches)
    _assert_each_once(many, day)
