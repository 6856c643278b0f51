"""Workbooks written by a worker (services): a large report's XLSX (the company's
upsell report: 350,000 rows, about 40 s) is too long for a request. The page asks
for it, a worker writes it with its progress on the row, and the user downloads it
from the export's page, where the progress shows meanwhile.

The worker builds the report object the page builds (`core.reports`, by the
export's report key), as the user and with the filter and language they chose, so
the export has what the page has and what the user may see, nothing more.
"""

import contextlib
import logging
import os
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import Export, export_upload_to
from core.queueing import enqueue, enqueue_on_commit
from core.reports import report_class

logger = logging.getLogger(__name__)
STALE_RUNNING = timedelta(minutes=10)  # no progress for this long: the worker died


@transaction.atomic
def export_request(
    *, user, title: str, report: str, params: dict, path: str, filename: str
) -> Export:
    """Ask for the workbook of the report `report` (its key) with the filter
    `params`; a worker writes it once this commits. `path` is the page it came
    from, linked from the export's page."""
    from core.tasks import export_build_task

    report_class(report)  # a report that exists, or LookupError
    export = Export.objects.create(
        user=user,
        title=title[:200],
        report=report,
        params={str(k): str(v) for k, v in params.items()},
        path=path,
        filename=filename[:200],
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    enqueue_on_commit(export_build_task, export.pk)
    return export


def export_build(*, export_id: int) -> Export | None:
    """Write the workbook of a queued export (idempotent: a written, failed or
    claimed export is left alone)."""
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    export = Export.objects.select_related("user").get(pk=export_id)

    def progress(index, title, total, written):
        Export.objects.filter(pk=export.pk).update(
            sheets_done=index, sheet=str(title)[:100], sheet_rows=total,
            sheet_rows_written=written, updated_at=timezone.now(),
        )  # fmt: skip

    try:
        with translation.override(export.language), tempfile.TemporaryFile() as out:
            if not export.user.is_active:
                raise PermissionError(
                    _("The account that asked for it is deactivated.")
                )
            rows, sheets = _write(export, out, progress)
            out.seek(0)
            _remove_files(export)  # a worker killed after saving left its file
            export.file.save(f"{export.filename}.xlsx", File(out), save=False)
    except Exception as exc:
        logger.exception("export %s failed", export.pk)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, error=str(exc)[:2000],
            finished_at=timezone.now(), updated_at=timezone.now(),
        )  # fmt: skip
        _tell(export, done=False)
        return Export.objects.get(pk=export.pk)
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE, file=export.file.name, size=export.file.size,
        rows_written=rows, sheets_total=sheets, sheets_done=sheets,
        finished_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
    _tell(export, done=True)
    return Export.objects.get(pk=export.pk)


def _write(export: Export, out, progress) -> tuple[int, int]:
    """Build the report as the export's user, with its filter; write its sheets."""
    from core.spreadsheets import write_workbook

    report = report_class(export.report)(user=export.user, params=export.params)
    sheets = report.sheets()
    Export.objects.filter(pk=export.pk).update(sheets_total=len(sheets))
    return write_workbook(sheets, out, progress=progress), len(sheets)


def _remove_files(export: Export, *, folder_too: bool = False) -> None:
    """Delete the files in the export's folder (`export_upload_to`); `folder_too`:
    the folder as well, once the export itself goes (a storage with folders)."""
    storage = export.file.storage
    folder = export_upload_to(export, "").rstrip("/")
    try:
        _dirs, names = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        storage.delete(f"{folder}/{name}")
    if folder_too:
        # a storage without local folders, or a folder not empty: left as it is
        with contextlib.suppress(NotImplementedError, OSError):
            os.rmdir(storage.path(folder))


def _tell(export: Export, *, done: bool) -> None:
    """The bell, in the language the export was asked for in."""
    from core.services import notification_create

    with translation.override(export.language):
        title = (
            _("Your export “%(title)s” is ready.")
            if done
            else _("Your export “%(title)s” failed.")
        ) % {"title": export.title}
        notification_create(
            user=export.user, title=title, url=export.get_absolute_url(),
            dedupe_key=f"export-{export.pk}",
        )  # fmt: skip


def exports_sweep(*, now=None) -> dict:
    """Re-queue exports a broker outage or a dead worker left behind, and remove
    exports (and their files) older than `KAM_EXPORT_KEEP_HOURS`."""
    from core.tasks import export_build_task

    now = now or timezone.now()
    dead = list(
        Export.objects.filter(
            status=Export.Status.RUNNING, updated_at__lt=now - STALE_RUNNING
        ).values_list("pk", flat=True)
    )
    Export.objects.filter(pk__in=dead).update(status=Export.Status.QUEUED)
    waiting = list(
        Export.objects.filter(
            status=Export.Status.QUEUED, updated_at__lt=now - timedelta(minutes=1)
        ).values_list("pk", flat=True)
    )
    for pk in waiting:
        enqueue(export_build_task, pk)
    old = Export.objects.filter(
        created_at__lt=now - timedelta(hours=settings.KAM_EXPORT_KEEP_HOURS)
    )
    removed = 0
    for export in old.iterator():
        if export.file:  # also one written before exports had a folder each
            export.file.delete(save=False)
        _remove_files(export, folder_too=True)
        export.delete()
        removed += 1
    return {"requeued": len(waiting), "removed": removed}
