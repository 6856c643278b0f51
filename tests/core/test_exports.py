"""A report's workbook is written by a worker, with its progress shown, then offered
for download to the user who asked for it, and to nobody else."""

import io
import os
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core import exports
from core.models import Export, Notification
from core.tasks import export_build_task
from tests.conftest import wait_for, xlsx_export
from tests.insights.conftest import build_segment

UPSELL_XLSX = "/insights/upsell/?format=xlsx"
SHEETS = ["Recommendations", "Volume headroom", "Share of wallet", "Trials to convert",
          "Contracts ending", "Whitespace"]  # fmt: skip


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Each test's workbooks in a folder of its own (export folders are named by id)."""
    settings.MEDIA_ROOT = tmp_path


def ask(client, capture, *, execute=True):
    with capture(execute=execute):
        response = client.get(reverse("insights:upsell"), {"format": "xlsx"})
    assert response.status_code == 302
    return response, Export.objects.get()


@pytest.mark.django_db
def test_the_workbook_is_written_by_a_worker_then_downloaded(
    client, cast, django_capture_on_commit_callbacks
):
    build_segment(cast)
    client.force_login(cast.manager)
    response, export = ask(client, django_capture_on_commit_callbacks)
    # then the user lands on the export's page, which the worker has finished
    assert response.url == reverse("core:export", args=[export.pk])
    assert export.status == Export.Status.DONE
    assert export.user == cast.manager
    assert export.title == "Upsell"
    assert (export.sheets_done, export.sheets_total) == (6, 6)
    assert export.rows_written > 0 and export.size > 0
    page = client.get(response.url).content.decode()
    assert "Download the workbook" in page
    assert f"Ready: {export.rows_written} rows in 6 sheets" in page
    download = client.get(reverse("core:export-download", args=[export.pk]))
    assert download["Content-Disposition"].startswith('attachment; filename="upsell-')
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.sheetnames == SHEETS
    # and the bell says so, linking to the export
    note = Notification.objects.get(user=cast.manager)
    assert note.title == "Your export “Upsell” is ready."
    assert note.url == export.get_absolute_url()


@pytest.mark.django_db
def test_the_workbook_has_what_the_user_may_see(
    client, cast, django_capture_on_commit_callbacks
):
    segment = build_segment(cast)
    client.force_login(cast.kam)
    book = load_workbook(io.BytesIO(xlsx_export(
        client, reverse("insights:upsell"), {}, django_capture_on_commit_callbacks
    )))  # fmt: skip
    names = {row[0].value for row in book["Whitespace"].iter_rows(min_row=2)}
    # the KAM's own accounts, as on their page: not the others of the segment
    own = {a.name for a in segment["acc"] if a.owner_id == cast.kam.pk}
    assert names == own
    assert 0 < len(own) < len(segment["acc"])


@pytest.mark.django_db
def test_progress_shows_while_the_worker_writes(
    client, cast, django_capture_on_commit_callbacks
):
    build_segment(cast)
    client.force_login(cast.manager)
    _response, export = ask(client, django_capture_on_commit_callbacks, execute=False)
    url = reverse("core:export", args=[export.pk])
    # queued: the page polls itself every second
    page = client.get(url).content.decode()
    assert "Waiting for a worker" in page
    assert 'hx-trigger="every 1s"' in page
    assert (
        client.get(reverse("core:export-download", args=[export.pk])).status_code == 404
    )
    # writing the second of six sheets, 2,000 of its 10,000 rows
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.RUNNING, sheets_total=6, sheets_done=1,
        sheet="Volume headroom", sheet_rows=10_000, sheet_rows_written=2_000,
    )  # fmt: skip
    export.refresh_from_db()
    assert export.percent == 20  # (1 + 0.2) / 6
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Sheet 2 of 6: Volume headroom" in fragment
    assert "2,000 of 10,000 rows" in fragment
    assert '<progress id="export-bar"' in fragment and 'value="20"' in fragment
    assert "<html" not in fragment
    # written: the polling stops and the link shows
    exports.export_build(export_id=export.pk)  # already claimed: left alone
    Export.objects.filter(pk=export.pk).update(status=Export.Status.QUEUED)
    exports.export_build(export_id=export.pk)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' not in fragment
    assert "Download the workbook" in fragment
    # and its line under "My recent exports", drawn when the page loaded, follows
    assert re.search(
        rf'<span id="export-status-{export.pk}"[^>]*hx-swap-oob="true">Ready ·',
        fragment,
    )
    assert f'id="export-status-{export.pk}"' in page  # the line it replaces


@pytest.mark.django_db
def test_only_its_user_sees_an_export(client, cast, django_capture_on_commit_callbacks):
    build_segment(cast)
    client.force_login(cast.manager)
    _response, export = ask(client, django_capture_on_commit_callbacks)
    for other in (cast.kam, cast.manager2, cast.admin, cast.cs):
        client.force_login(other)
        for name in ("core:export", "core:export-download"):
            assert client.get(reverse(name, args=[export.pk])).status_code == 404


@pytest.mark.django_db
def test_building_twice_writes_once(client, cast, django_capture_on_commit_callbacks):
    build_segment(cast)
    client.force_login(cast.manager)
    _response, export = ask(client, django_capture_on_commit_callbacks)
    before = Export.objects.values().get(pk=export.pk)
    assert exports.export_build(export_id=export.pk) is None
    assert Export.objects.values().get(pk=export.pk) == before
    assert Notification.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", [UPSELL_XLSX, "/?format=xlsx"])
def test_an_export_that_cannot_be_written_fails_cleanly(client, cast, path):
    # the upsell report, its user deactivated since; a report no longer known
    report = "upsell" if path == UPSELL_XLSX else "home"
    export = Export.objects.create(user=cast.manager, title="Upsell", path=path,
                                   report=report, filename="upsell",
                                   language="en")  # fmt: skip
    if path == UPSELL_XLSX:  # deactivated after asking
        type(cast.manager).objects.filter(pk=cast.manager.pk).update(is_active=False)
    exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert not export.file
    expected = "deactivated" if path == UPSELL_XLSX else "no report 'home'"
    assert expected in export.error
    assert Notification.objects.get(user=cast.manager).title == (
        "Your export “Upsell” failed."
    )
    if path != UPSELL_XLSX:
        client.force_login(cast.manager)
        page = client.get(export.get_absolute_url()).content.decode()
        assert "The workbook could not be written." in page
        assert 'hx-trigger="every 1s"' not in page
    # the way back leads to the report with its filters, not to a new workbook
    back = Export(path="/insights/upsell/?team=3&format=xlsx&kam=4").report_url
    assert back == "/insights/upsell/?team=3&kam=4"


@pytest.mark.django_db
def test_the_sweep_requeues_stuck_exports_and_removes_old_ones(cast, settings):
    build_segment(cast)
    now = timezone.now()

    def made(status, *, age):
        export = Export.objects.create(user=cast.manager, title="Upsell",
                                       path=UPSELL_XLSX, report="upsell", filename="upsell",
                                       language="en", status=status)  # fmt: skip
        Export.objects.filter(pk=export.pk).update(
            created_at=now - age, updated_at=now - age
        )
        return export

    lost = made(Export.Status.QUEUED, age=timedelta(minutes=5))  # broker was down
    dead = made(Export.Status.RUNNING, age=timedelta(minutes=30))  # worker died
    fresh = made(Export.Status.QUEUED, age=timedelta(seconds=5))  # on its way
    done = made(Export.Status.QUEUED, age=timedelta(minutes=5))
    exports.export_build(export_id=done.pk)
    done.refresh_from_db()
    path = done.file.path
    Export.objects.filter(pk=done.pk).update(created_at=now - timedelta(hours=25))
    result = exports.exports_sweep(now=now)  # eager in tests: re-queued = built
    assert result == {"requeued": 2, "removed": 1}
    statuses = dict(Export.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: "done", dead.pk: "done", fresh.pk: "queued"}
    assert not Export.objects.filter(pk=done.pk).exists()
    assert not os.path.exists(path)
    assert not os.path.exists(os.path.dirname(path))  # no empty folder left behind
    # a second sweep has nothing left to do
    assert exports.exports_sweep(now=now) == {"requeued": 0, "removed": 0}


@pytest.mark.django_db
def test_a_rebuild_removes_what_a_killed_worker_left(cast):
    build_segment(cast)
    export = Export.objects.create(user=cast.manager, title="Upsell", path=UPSELL_XLSX,
                                   report="upsell", filename="upsell", language="en")  # fmt: skip
    # a worker saved the workbook, then was killed before marking the export done
    storage = export.file.storage
    left = storage.save(f"exports/{export.pk}/upsell.xlsx", io.BytesIO(b"partial"))

    exports.export_build(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    assert storage.listdir(f"exports/{export.pk}")[1] == [
        os.path.basename(export.file.name)
    ]
    assert export.file.name == left  # the same name, not a second file beside it
    assert load_workbook(export.file.path).sheetnames == SHEETS


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_workbook(celery_worker, cast):
    build_segment(cast)
    export = Export.objects.create(user=cast.manager, title="Upsell", path=UPSELL_XLSX,
                                   report="upsell", filename="upsell", language="de")  # fmt: skip
    export_build_task.delay(export.pk)
    assert wait_for(lambda: Export.objects.get(pk=export.pk).finished)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE, export.error
    with export.file.open("rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    # in the language of the request that asked for it, and so is the bell
    assert book.sheetnames[0] == "Empfehlungen"
    assert len(book.sheetnames) == 6
    note = Notification.objects.get(user=cast.manager)
    assert note.title == "Ihr Export „Upsell“ ist fertig."


@pytest.mark.django_db
def test_the_export_keeps_the_report_and_its_filter(
    client, cast, django_capture_on_commit_callbacks
):
    """The worker builds the report object from the stored key and filter: a KAM
    filter on the page is the workbook's filter too."""
    segment = build_segment(cast)
    client.force_login(cast.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(
            reverse("insights:upsell"), {"kam": str(cast.kam2.pk), "format": "xlsx"}
        )
    export = Export.objects.get()
    assert (export.report, export.params) == ("upsell", {"kam": str(cast.kam2.pk)})
    assert export.report_url == f"/insights/upsell/?kam={cast.kam2.pk}"
    assert response.url == export.get_absolute_url()
    book = load_workbook(export.file.path)
    names = {row[0].value for row in book["Whitespace"].iter_rows(min_row=2)}
    assert names == {a.name for a in segment["acc"] if a.owner_id == cast.kam2.pk}
    assert names  # Beta Medien, Epsilon Books


def test_no_production_code_builds_a_request():
    """Reports are objects: nothing outside the tests fakes a request to ask a view."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not {"tests", ".venv", "var", "node_modules", "bench"}
        & set(path.relative_to(root).parts)
        and "RequestFactory" in path.read_text(encoding="utf-8")
    ]
    assert found == []
