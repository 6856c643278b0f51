import hashlib
import os
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.utils import translation

from core import pdf as core_pdf
from core.models import User
from core.roles import Role
from tests import clock
from tests.factories import AccountFactory

START_POSTGRES = (
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
    "--appendonly no"
)


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def pytest_addoption(parser):
    parser.addoption(
        "--today",
        default=os.environ.get(clock.ENV) or None,
        metavar="YYYY-MM-DD",
        help="run the whole session on this day, at noon in the app's time zone "
        f"(default: ${clock.ENV}, else the real date); YYYY-MM-DDTHH:MM picks the hour",
    )


def pytest_configure(config):
    """Move the run to its day before any test module is imported (tests/clock.py)."""
    from django.conf import settings

    try:
        clock.start(config.getoption("--today"), settings.TIME_ZONE)
    except ValueError as error:
        raise pytest.UsageError(f"--today: {error}") from None


def pytest_unconfigure(config):
    clock.stop()


def pytest_report_header(config):
    return f"today: {clock.today()} (tests/clock.py; --today or ${clock.ENV})"


def pytest_sessionstart(session):
    """Stop at once, with the command to fix it, when PostgreSQL or Redis is down."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    problems = []
    if db["ENGINE"].endswith("postgresql"):
        host, port = db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)
        if not _reachable(host, port):
            problems.append(
                f"PostgreSQL is not reachable at {host}:{port} (DATABASE_URL).\n"
                f"  Start it with: {START_POSTGRES}\n"
                "  or: docker compose up -d postgres"
            )
    broker = urlparse(settings.CELERY_BROKER_URL)
    if broker.scheme.startswith("redis"):
        host, port = broker.hostname or "127.0.0.1", broker.port or 6379
        if not _reachable(host, port):
            problems.append(
                f"Redis is not reachable at {host}:{port} (CELERY_BROKER_URL).\n"
                f"  Start it with: {START_REDIS}\n  or: docker compose up -d redis"
            )
    if problems:
        pytest.exit("\n".join(problems), returncode=3)


class _LayoutFreeHTML:
    """WeasyPrint's `HTML` without the layout (most of a test's second per PDF): a
    valid one-page PDF that names the document's digest, so two documents still
    differ. The template is still rendered by Django, and tests marked `pdf` (every
    test that reads a PDF's text or pages) render for real."""

    def __init__(self, *, string: str, **kwargs):
        self.digest = hashlib.sha256(string.encode()).hexdigest()

    def write_pdf(self, **kwargs) -> bytes:
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ]
        out = b"%PDF-1.7\n%kam-test " + self.digest.encode() + b"\n"
        offsets = []
        for number, body in enumerate(objects, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
        return out + b"startxref\n%d\n%%%%EOF\n" % xref


@pytest.fixture(autouse=True)
def _pdf_layout(request, monkeypatch):
    """PDFs without WeasyPrint's layout, except in tests marked `pdf`."""
    if request.node.get_closest_marker("pdf") is None:
        monkeypatch.setattr(core_pdf, "HTML", _LayoutFreeHTML)


@pytest.fixture(autouse=True, scope="session")
def _jinja2_context_in_responses():
    """`response.context` for Jinja2 pages as for Django templates: Django's test
    setup instruments its own engine only (the `template_rendered` signal, which
    the test client records)."""
    from django.template.backends.jinja2 import Template
    from django.test.signals import template_rendered

    original = Template.render

    def render(self, context=None, request=None):
        template_rendered.send(
            sender=self, template=self, context={**(context or {}), "request": request}
        )
        return original(self, context, request)

    Template.render = render
    yield
    Template.render = original


@pytest.fixture(autouse=True)
def _seller_profile(request):
    """Every test with a database has the seller profile, as a set-up KAM has;
    `no_seller` tests start without one."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    if request.node.get_closest_marker("no_seller"):
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        names & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from core.models import SellerProfile
    from demo.users import SELLER

    SellerProfile.objects.get_or_create(singleton=True, defaults=SELLER)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache (the 360's panels, segments): ids and
    versions of rolled-back tests come again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _english():
    """Start every test in English; a request in German must not leak into the next."""
    translation.activate("en")
    yield
    translation.deactivate()


@dataclass
class Cast:
    """The people of the access tests: two teams, their managers, CS and an admin."""

    kam: User
    kam2: User
    kam3: User
    manager: User
    manager2: User
    cs: User
    admin: User
    norole: User


CAST = [  # username, first and last name, role, team (made in this order)
    ("manager", "Miriam", "Schulte", Role.SALES_MANAGER, None),
    ("manager2", "Daniel", "Hoffmann", Role.SALES_MANAGER, None),
    ("kam", "Katrin", "Albers", Role.KEY_ACCOUNT_MANAGER, "North"),
    ("kam2", "Jonas", "Weber", Role.KEY_ACCOUNT_MANAGER, "North"),
    ("kam3", "Lea", "Fischer", Role.KEY_ACCOUNT_MANAGER, "South"),
    ("cs", "Chris", "Sommer", Role.CUSTOMER_SERVICES, None),
    ("admin", "Alex", "Berger", Role.ADMINISTRATOR, None),
    ("norole", "Nora", "Lang", None, None),
]


@pytest.fixture
def cast(db) -> Cast:
    """Eight users in two teams, written in a few bulk statements (the cast is in
    most tests: one by one, with make_user, it took 8 times as long)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from core.models import Team
    from core.roles import ROLES_USING_ADMIN

    password = make_password("s3cret-pass")
    groups = {g.name: g for g in Group.objects.filter(name__in=set(Role))}
    for role in set(Role) - set(groups):
        groups[role] = Group.objects.create(name=role)
    people = {
        username: User(
            username=username, first_name=first, last_name=last,
            email=f"{username}@example.com", password=password,
            is_staff=role in ROLES_USING_ADMIN,
        )
        for username, first, last, role, _team in CAST
    }  # fmt: skip
    User.objects.bulk_create([people["manager"], people["manager2"]])
    teams = {
        "North": Team(name="North", manager=people["manager"]),
        "South": Team(name="South", manager=people["manager2"]),
    }
    Team.objects.bulk_create(teams.values())
    for username, _first, _last, _role, team in CAST:
        people[username].team = teams.get(team)
    User.objects.bulk_create([u for u in people.values() if u.pk is None])
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=people[username].pk, group_id=groups[role].pk)
        for username, _first, _last, role, _team in CAST
        if role
    )
    return Cast(**people)


@pytest.fixture
def account_factory():
    return AccountFactory


PANEL = re.compile(
    r'<section id="[\w-]+" [^>]*hx-get="(/accounts/\d+/panels/[\w-]+/)"[^>]*>.*?</section>',
    re.S,
)


def account_360(client, account) -> str:
    """The account 360 as a reader sees it once every lazy section came into view:
    the page with each placeholder replaced by its section (fetched as htmx does)."""
    html = client.get(account.get_absolute_url()).content.decode()

    def fetch(match):
        response = client.get(match.group(1), HTTP_HX_REQUEST="true")
        assert response.status_code == 200, match.group(1)
        return response.content.decode()

    return PANEL.sub(fetch, html)


def wait_for(predicate, timeout=20.0) -> bool:
    """Poll until `predicate()` is true (for work done by a real worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def xlsx_export(client, url, params, capture) -> bytes:
    """Ask a report for its workbook, let the (eager) worker write it once the request
    commits, and download it. `capture`: pytest-django's
    django_capture_on_commit_callbacks."""
    with capture(execute=True):
        response = client.get(url, {**params, "format": "xlsx"})
    assert response.status_code == 302, response.status_code
    assert "/exports/" in response.url
    download = client.get(response.url + "download/")
    assert download.status_code == 200, download.status_code
    return b"".join(download.streaming_content)


@pytest.fixture
def celery_worker(monkeypatch):
    """A real Celery worker on Redis, in a thread, for one test (no eager mode)."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connection

    from kam.celery import app

    def close_db(**kwargs):
        # The worker thread has its own connection; close it so the test
        # database can be flushed and dropped afterwards.
        connection.close()

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # the worker waits on Redis this long at a time: stopping it waits as long
    # (1 s by default, 1.3 s of every worker test's teardown)
    options = {**app.conf.broker_transport_options, "polling_interval": 0.1}
    monkeypatch.setitem(app.conf, "broker_transport_options", options)
    app.control.purge()
    task_postrun.connect(close_db, weak=False)
    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10
    ) as w:
        yield w
    task_postrun.disconnect(close_db)
