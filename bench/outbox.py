"""1,000 offers sent through the outbox, delivered by one and by two worker processes.

    python bench/outbox.py [--offers 1000] [--provider-ms 50]

Builds a fresh PostgreSQL database `kam_bench_outbox`, creates N offers of one line,
and sends each as a KAM does (`offer_send`: renders and files the PDF, queues the
e-mail) while no worker runs. Then, for 1 and for 2 Celery worker processes
(`celery worker --concurrency W`, Redis db 14), it puts every message back to READY,
queues them all and times until each is SENT. The provider (bench/bench_provider.py)
answers after --provider-ms, like an HTTP API, and logs every message it accepts, so
duplicates would show. Writes bench/results/outbox.json.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from fresh import ROOT, use_fresh_database

DB = "kam_bench_outbox"


def build(n: int):
    from django.utils import timezone

    from accounts.models import Account, Contact
    from core.roles import Role
    from offers.services import building as offer_building
    from tests.contracts.helpers import product
    from tests.factories import make_user
    from tests.offers.helpers import ensure_defaults

    ensure_defaults()
    kam = make_user("bench-kam", Role.KEY_ACCOUNT_MANAGER, email="kam@bench.example")
    seat = product(code="SEAT", price="360.00")
    offers = []
    for i in range(n):
        account = Account.objects.create(name=f"Customer {i:04d}", owner=kam,
                                         legal_name=f"Customer {i:04d} GmbH")  # fmt: skip
        contact = Contact.objects.create(account=account, first_name="Vera",
                                         last_name=f"Meier {i}",
                                         email=f"buyer{i}@customer.example")  # fmt: skip
        offer = offer_building.offer_create(
            account=account, contact=contact, actor=kam, title=f"Seats {i}",
            valid_until=timezone.localdate() + timedelta(days=30),
        )  # fmt: skip
        offer_building.line_add(option=offer.options.get(), actor=kam, product=seat,
                          quantity=Decimal(10))  # fmt: skip
        offers.append(offer)
    return kam, offers


def send_all(kam, offers) -> list[float]:
    from django.db import transaction

    from offers.services import sending as offer_sending

    timings = []
    for i, offer in enumerate(offers, 1):
        started = time.perf_counter()
        with transaction.atomic():
            offer_sending.offer_send(offer=offer, actor=kam)
        timings.append(time.perf_counter() - started)
        if i % 100 == 0:
            print(f"  sent {i}/{len(offers)} offers", flush=True)
    return timings


def drain(workers: int, n: int, provider_ms: int) -> dict:
    from core.models import OutboundMessage
    from core.tasks import message_send_task
    from kam.celery import app

    Status = OutboundMessage.Status
    OutboundMessage.objects.update(status=Status.READY, attempts=0, sent_at=None)
    app.control.purge()
    log = Path(tempfile.mkdtemp(prefix="kam-bench-")) / "provider.log"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{ROOT}:{ROOT}/bench",
        "BENCH_PROVIDER_MS": str(provider_ms),
        "BENCH_PROVIDER_LOG": str(log),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool", "prefork",
         "--concurrency", str(workers), "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-l", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        time.sleep(4)  # the worker boots (Django, Celery) before the clock starts
        started = time.perf_counter()
        for pk in OutboundMessage.objects.values_list("pk", flat=True):
            message_send_task.delay(pk)
        queued = time.perf_counter() - started
        while OutboundMessage.objects.filter(status=Status.SENT).count() < n:
            if time.perf_counter() - started > 900:
                raise SystemExit("the outbox did not drain in 15 minutes")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    delivered = log.read_text().split() if log.exists() else []
    shutil.rmtree(log.parent)
    attempts = set(OutboundMessage.objects.values_list("attempts", flat=True))
    return {
        "workers": workers,
        "messages": n,
        "queue_seconds": round(queued, 2),
        "drain_seconds": round(elapsed, 2),
        "messages_per_second": round(n / elapsed, 1),
        "provider_calls": len(delivered),
        "duplicates": len(delivered) - len(set(delivered)),
        "attempts": sorted(attempts),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--provider-ms", type=int, default=50)
    args = parser.parse_args()
    use_fresh_database(DB)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/renewals.py is no app
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"Building {args.offers} offers …", flush=True)
    kam, offers = build(args.offers)
    print("Sending them (PDF + outbox), no worker running …", flush=True)
    timings = send_all(kam, offers)
    runs = []
    for workers in (1, 2):
        print(f"Delivering with {workers} worker process(es) …", flush=True)
        runs.append(drain(workers, args.offers, args.provider_ms))
        print("  ", runs[-1], flush=True)
    result = {
        "offers": args.offers,
        "provider_ms": args.provider_ms,
        "send_median_ms": round(statistics.median(timings) * 1000, 1),
        "send_p95_ms": round(sorted(timings)[int(len(timings) * 0.95) - 1] * 1000, 1),
        "send_total_seconds": round(sum(timings), 1),
        "runs": runs,
        "cpu_count": os.cpu_count(),
    }
    out = ROOT / "bench" / "results" / "outbox.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
