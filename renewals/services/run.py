"""The nightly renewal job: one run per business date, catching up missed dates.

Each step works through its due contracts in chunks. A chunk is one transaction:
its contracts are locked with SKIP LOCKED, so a second worker running at the same
time takes other contracts, and everything a chunk writes (terms, invoices,
billing cursors) commits or rolls back together. A chunk that fails is retried
contract by contract, so one bad contract is recorded and skipped while the rest
of the batch goes on. Documents and emails are queued after each commit.
"""

import logging
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from accounts import versions
from contracts.models import Contract
from core import services as core_services
from core.dates import show_date
from core.links import absolute_url
from core.roles import Role
from renewals.models import RenewalConfig, RenewalFailure, RenewalRun
from renewals.services import steps

logger = logging.getLogger(__name__)

DONE = (RenewalRun.Status.SUCCEEDED, RenewalRun.Status.FAILED)
STALE_AFTER = timedelta(hours=2)
# after this many changes in a run the planner gets fresh statistics
BULK_ROWS = 5000


class _DryRunRollback(Exception):
    pass


@dataclass
class Batch:
    """One business date's run while it is under way."""

    day: date
    config: RenewalConfig
    dry_run: bool = False
    counts: Counter = field(
        default_factory=lambda: Counter(dict.fromkeys(steps.COUNT_KEYS, 0))
    )
    failures: list[tuple[str, int | None, str]] = field(default_factory=list)
    failed: dict[str, set[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, float] = field(default_factory=dict)

    def fail(self, step: str, contract_id: int | None, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}"
        logger.warning("renewals %s contract %s: %s", step, contract_id, message)
        with self.lock:
            self.failed.setdefault(step, set()).add(contract_id)
            self.failures.append((step, contract_id, message[:2000]))

    def add(self, counts) -> None:
        with self.lock:
            self.counts.update(counts)


def _dispatch(result: steps.Result) -> None:
    """Queue the chunk's documents and emails once its transaction has committed."""
    from renewals.tasks import renewal_documents_task

    size = 200
    for start in range(0, max(len(result.invoice_ids), len(result.term_ids)), size):
        kwargs = {
            "invoice_ids": result.invoice_ids[start : start + size],
            "term_ids": result.term_ids[start : start + size],
        }
        # a short repr: Celery would otherwise format every id for its logs
        label = (
            f"{len(kwargs['invoice_ids'])} invoices, {len(kwargs['term_ids'])} terms"
        )
        transaction.on_commit(
            lambda kwargs=kwargs, label=label: renewal_documents_task.apply_async(
                kwargs=kwargs, kwargsrepr=label
            )
        )


def _run_step(batch: Batch, name: str, due, work) -> None:
    chunk = settings.KAM_RENEWALS_CHUNK
    # chunks go up by id: each query starts where the last chunk ended instead of
    # walking past everything done already (contracts another worker holds are
    # that worker's; contracts that failed are recorded and retried next run)
    after = 0
    while True:
        done: list[steps.Result] = []
        with transaction.atomic():
            queryset = due(batch.day, after)
            with batch.lock:
                failed = list(batch.failed.get(name, ()))
            if failed:
                queryset = queryset.exclude(pk__in=failed)
            ids = list(
                queryset.order_by("pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                return
            after = ids[-1]
            try:
                with transaction.atomic(), _held(ids):
                    done.append(work(ids, batch.day, batch.config))
            except Exception:
                # find the contract that breaks the chunk; the others go through
                for pk in ids:
                    try:
                        with transaction.atomic(), _held([pk]):
                            done.append(work([pk], batch.day, batch.config))
                    except Exception as exc:
                        batch.fail(name, pk, exc)
            if not batch.dry_run:
                for result in done:
                    _dispatch(result)
        # the chunk has committed (or, in a dry run, is kept until the rollback)
        for result in done:
            batch.add(result.counts)


def _held(contract_ids: list[int]):
    """The chunk's accounts, raised once and in order before the step writes their
    contracts, terms, subscriptions, invoices and events (accounts.versions.held)."""
    return versions.held(
        Contract.objects.filter(pk__in=contract_ids).values_list(
            "account_id", flat=True
        )
    )


def _guarded_step(batch: Batch, name: str, due, work) -> None:
    try:
        _run_step(batch, name, due, work)
    except Exception as exc:  # the step itself broke (not one contract)
        batch.fail(name, None, exc)
        logger.error("renewals step %s failed:\n%s", name, traceback.format_exc())


def _in_thread(batch: Batch, name: str, due, work) -> None:
    try:
        _guarded_step(batch, name, due, work)
    finally:
        connections.close_all()  # this thread's own connection


def _refresh_statistics() -> None:
    """Let the planner see what the last step changed in bulk (PostgreSQL).

    After a step rewrote thousands of rows the statistics still describe the
    table before it; the next step's queries would be planned for the old data.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contracts_contract, contracts_subscription")


def worker_count(batch: Batch) -> int:
    """Parallel workers for this run: one for SQLite (one writer), for dry runs
    (one transaction), and inside a caller's transaction (seed_demo): threads with
    their own connections could neither see its rows nor get past its locks."""
    if batch.dry_run or connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return settings.KAM_RENEWALS_WORKERS


def _process(batch: Batch) -> None:
    """Run the steps in order; each step's chunks go to parallel workers.

    The workers are threads with their own database connections; SKIP LOCKED
    hands each chunk to one of them.
    """
    workers = worker_count(batch)
    analyzed_at = 0
    for name, due, work in steps.STEPS:
        started = time.perf_counter()
        changed = sum(batch.counts.values())
        if changed - analyzed_at >= BULK_ROWS:
            _refresh_statistics()
            analyzed_at = changed
        if workers == 1:
            _guarded_step(batch, name, due, work)
        else:
            threads = [
                threading.Thread(target=_in_thread, args=(batch, name, due, work))
                for _ in range(workers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        batch.timings[name] = round(time.perf_counter() - started, 3)


def _notify_admins(run: RenewalRun) -> None:
    from core.models import User

    admins = [
        u.email
        for u in User.objects.filter(
            is_active=True, groups__name=Role.ADMINISTRATOR
        ).distinct()
        if u.email
    ] + [email for _name, email in settings.ADMINS]
    addresses = sorted(set(admins))
    if not addresses:
        return
    url = absolute_url(reverse("renewals:run", args=[run.pk]))
    core_services.message_queue(
        to=addresses,
        subject=ngettext(
            "Renewal run %(date)s: %(count)d failure",
            "Renewal run %(date)s: %(count)d failures",
            run.failure_count,
        )
        % {"date": show_date(run.business_date), "count": run.failure_count},
        body_text=render_to_string(
            "emails/renewals/run_failed.txt",
            {"run": run, "failures": list(run.failures.all()[:50]), "url": url},
        ),
        related=run,
    )


def _notify_kams(day: date) -> None:
    """Tell each KAM once per date which of their standing orders renewed."""
    from contracts.models import ContractTerm
    from core.models import Notification, User

    rows = (
        ContractTerm.objects.filter(business_date=day, kind=ContractTerm.Kind.RENEWAL)
        .values_list("contract__account__owner", "contract__number")
        .order_by("contract__account__owner", "contract__number")
    )
    per_owner: dict[int, list[str]] = {}
    for owner, number in rows:
        per_owner.setdefault(owner, []).append(number)
    url = reverse("renewals:pipeline")
    key = f"renewed:{day.isoformat()}"
    told = set(
        Notification.objects.filter(
            user__in=list(per_owner), dedupe_key=key
        ).values_list("user_id", flat=True)
    )
    for user in User.objects.filter(pk__in=[u for u in per_owner if u not in told]):
        numbers = per_owner[user.pk]
        title = ngettext(
            "%(count)d standing order renewed on %(date)s",
            "%(count)d standing orders renewed on %(date)s",
            len(numbers),
        ) % {"count": len(numbers), "date": show_date(day)}
        listed = ", ".join(numbers[:20]) + (" …" if len(numbers) > 20 else "")
        core_services.notification_create(
            user=user, title=title, body=listed, url=url, dedupe_key=key
        )
        if user.email:
            core_services.message_queue(
                to=[user.email],
                subject=title,
                body_text=render_to_string(
                    "emails/renewals/kam_renewed.txt",
                    {
                        "user": user,
                        "numbers": numbers[:200],
                        "more": max(0, len(numbers) - 200),
                        "day": day,
                        "url": absolute_url(url),
                    },
                ),
            )


def _mark_stale() -> None:
    RenewalRun.objects.filter(
        status=RenewalRun.Status.RUNNING,
        started_at__lt=timezone.now() - STALE_AFTER,
    ).update(status=RenewalRun.Status.INTERRUPTED)


def run_for_date(
    day: date, *, dry_run: bool = False, trigger: str = "schedule"
) -> tuple[RenewalRun | None, Batch]:
    """Run every step for one business date; record the run.

    A dry run records nothing; its caller (`renewals_run`) rolls the changes back.
    """
    batch = Batch(day=day, config=RenewalConfig.get(), dry_run=dry_run)
    if dry_run:
        _process(batch)
        return None, batch
    run = RenewalRun.objects.create(business_date=day, trigger=trigger)
    _process(batch)
    with transaction.atomic():
        _notify_kams(day)
        RenewalFailure.objects.bulk_create(
            RenewalFailure(run=run, step=step, contract_id=pk, error=error)
            for step, pk, error in batch.failures
        )
        run.counts = {k: batch.counts[k] for k in steps.COUNT_KEYS} | dict(batch.counts)
        run.failure_count = len(batch.failures)
        run.timings = batch.timings
        run.status = (
            RenewalRun.Status.FAILED if batch.failures else RenewalRun.Status.SUCCEEDED
        )
        run.finished_at = timezone.now()
        run.save(
            update_fields=[
                "counts",
                "failure_count",
                "timings",
                "status",
                "finished_at",
            ]
        )
        if batch.failures:
            _notify_admins(run)
    return run, batch


def dates_to_run(target: date) -> list[date]:
    """The target date and every date missed since the last completed run."""
    last = RenewalRun.objects.filter(status__in=DONE).aggregate(
        last=Max("business_date")
    )["last"]
    if last is None or last >= target:
        return [target]
    first = max(
        last + timedelta(days=1),
        target - timedelta(days=settings.KAM_RENEWALS_MAX_CATCH_UP_DAYS - 1),
    )
    return [first + timedelta(days=n) for n in range((target - first).days + 1)]


def renewals_run(
    *,
    business_date: date | None = None,
    dry_run: bool = False,
    catch_up: bool = True,
    trigger: str = "schedule",
) -> list[tuple[RenewalRun | None, Batch]]:
    """Run the nightly job for a business date, first for every missed date."""
    target = business_date or timezone.localdate()
    _mark_stale()
    days = dates_to_run(target) if catch_up else [target]
    if not dry_run:
        return [run_for_date(day, trigger=trigger) for day in days]
    # one transaction for every date, rolled back at the end: each date sees the
    # effects of the dates before it, and nothing is kept
    results = []
    try:
        with transaction.atomic():
            for day in days:
                results.append(run_for_date(day, dry_run=True))
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    return results


def counts_total(results) -> dict[str, int]:
    total = dict.fromkeys(steps.COUNT_KEYS, 0)
    for _run, batch in results:
        for key, value in batch.counts.items():
            total[key] = total.get(key, 0) + value
    return total
