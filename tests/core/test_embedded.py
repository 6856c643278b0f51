"""The embedded default of `make run` stays up: the filesystem broker skips a message
it cannot read, a stopped worker or beat is started again, and emailed links point
at the port the app is served on."""

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder_app(tmp_path):
    """A Celery app on the embedded broker (core.broker) in a folder of its own."""
    queue = tmp_path / "celery" / "queue"
    processed = tmp_path / "celery" / "processed"
    queue.mkdir(parents=True)
    processed.mkdir()
    app = Celery("embedded", set_as_current=False)
    app.conf.update(
        broker_url="filesystem://",
        broker_transport="core.broker:Transport",
        broker_transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(processed),
            "control_folder": str(tmp_path / "celery" / "control"),
            "store_processed": False,
        },
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )
    done = []

    @app.task(name="embedded.record")
    def record(value):
        done.append(value)

    app.done = done
    app.record = record
    app.queue = queue
    return app


@pytest.fixture
def broker_log():
    """What core.broker logs (the worker sets up logging of its own)."""
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger = logging.getLogger("core.broker")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_a_worker_skips_a_corrupted_message_and_runs_the_next(folder_app, broker_log):
    # given: a cut-off message in the queue folder, as a crash mid-write leaves it
    bad = folder_app.queue / "1_0000.celery.msg"
    bad.write_text('{"body": "eyJhcmdzIjogWzFdfQ==", "headers": {')
    with start_worker(folder_app, pool="solo", perform_ping_check=False):
        # when: a task is sent after it
        folder_app.record.delay("after the bad one")
        # then: the worker skipped the bad file, kept running and ran the task
        assert wait_for(lambda: folder_app.done == ["after the bad one"], timeout=20)
        folder_app.record.delay("and the next")
        assert wait_for(lambda: len(folder_app.done) == 2, timeout=20)
    set_aside = folder_app.queue.parent / "bad" / bad.name
    assert set_aside.read_text().startswith('{"body"')  # kept for a look, not lost
    assert not bad.exists()
    [said] = broker_log
    assert said.startswith("Skipped an unreadable message in the queue folder")
    assert str(set_aside) in said


def test_messages_arrive_whole_through_a_folder_beside_the_queue(folder_app):
    with folder_app.connection_for_write() as conn:
        queue = conn.SimpleQueue("whole")
        queue.put({"n": 1})
        # nothing half-written is ever in the queue folder: only renamed, whole files
        files = list(folder_app.queue.iterdir())
        assert len(files) == 1
        assert json.loads(files[0].read_text())["body"]
        assert list((folder_app.queue.parent / "incoming").iterdir()) == []
        assert queue.get(timeout=5).payload == {"n": 1}
        queue.close()


def test_keep_running_starts_a_stopped_process_again(tmp_path):
    runs = tmp_path / "runs"
    loop = subprocess.Popen(
        [
            ROOT / "bin" / "keep-running",
            "worker",
            "sh",
            "-c",
            f"echo x >> {runs}; exit 3",
        ],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as honcho starts it: one process group
    )
    try:
        assert wait_for(
            lambda: runs.exists() and len(runs.read_text().split()) >= 2, timeout=15
        )
    finally:
        os.killpg(loop.pid, signal.SIGTERM)  # how honcho stops it
    assert loop.wait(timeout=10) != 0
    said = loop.stderr.read()
    assert "worker stopped (exit status 3); starting it again in 1 s" in said
    assert "starting it again in 2 s" in said  # a pause that grows
    # nothing of the group is left running (zombies aside: nobody may reap them here)
    assert wait_for(lambda: not _running_in_group(loop.pid), timeout=5)


def _running_in_group(pgid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_make_run_keeps_worker_and_beat_running_but_not_the_web_server():
    procs = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile.dev").read_text().splitlines()
        if line.strip()
    )
    assert procs["worker"].split()[:2] == ["bin/keep-running", "worker"]
    assert procs["beat"].split()[:2] == ["bin/keep-running", "beat"]
    assert "keep-running" not in procs["web"]  # a taken port must stop `make run`


def test_emailed_links_follow_the_port_make_run_serves_on():
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8400"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    steps = [
        line
        for line in dry.stdout.splitlines()
        if "manage.py" in line or "honcho" in line
    ]
    # the demo's e-mails are written by seed_demo, before honcho starts
    assert any("seed_demo" in line for line in steps)
    assert all("KAM_PORT=8400" in line for line in steps), steps
    assert "-p 8400" in steps[-1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KAM_", "DJANGO_SETTINGS"))
    }
    env |= {"DJANGO_SETTINGS_MODULE": "kam.settings.dev", "KAM_PORT": "8400"}
    env["KAM_VAR_DIR"] = os.environ.get("KAM_VAR_DIR", str(ROOT / "var"))
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from core.links import absolute_url;"
            "from accounts.calendar_views import feed_url;"
            "from types import SimpleNamespace as S;"
            "print(absolute_url('/offers/accept/x/'));"
            "print(feed_url(S(calendar_token='t')))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.stdout.split() == [
        "http://127.0.0.1:8400/offers/accept/x/",
        "http://127.0.0.1:8400/accounts/calendar/t.ics",
    ], shown.stderr
