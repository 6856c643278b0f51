"""KAM against an admin-based Django CRM on equal data, page by page, in one run.

    python bench/peer.py [--seconds 15] [--workers 3]

The peer is DjangoCRM (django-crm-admin on PyPI, a CRM built on Django's admin),
in its own virtualenv under var/peer/ (Python 3.12: it needs Django 6), on its own
PostgreSQL database `peer_crm` with the shape of KAM's large dataset: 50,000
companies, 150,000 contacts, 100,000 deals, 1,000,000 payments, owned by 150 sales
managers (bench/peer_seed.py). The first run installs and seeds it (a few minutes).

Each job is measured on both, one locust run per page at 1 client and at 4
clients, each served by gunicorn with the same number of workers, one server at a
time, in turns: KAM's page by a key account manager (or customer services for the
lists of everything), the peer's page by a sales manager (or its superuser).

| job | KAM | the peer |
| --- | --- | --- |
| start of the day | KAM home (accounts, tasks due, billing cards) | the landing page (links to its lists), and its list of my companies |
| find an account | account list, filtered | companies list, searched |
| one account | account 360 (the page; its sections load in view) | company change form |
| one offer | offer detail | deal change form |
| everything | all accounts / all offers (customer services) | all companies / all deals (superuser) |

Writes results/peer.{json,md,svg}: p50 at 1 client and p95 at 4 clients of each,
and how many times faster KAM is (the target: at least 3 ×), beside the floor.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pages
from fresh import ROOT, database_url

PEER = ROOT / "var" / "peer"
PEER_VERSION = "3.1.0"
PEER_DB = "peer_crm"
PEER_PORT = 8901
PASSWORD = "peer-demo"  # noqa: S105 (the benchmark's own users)
# what the peer needs besides itself (its pins, less the MySQL driver)
PEER_PACKAGES = ["Django==6.0.8", "asgiref", "sqlparse", "tzdata", "openpyxl",
                 "XlsxWriter", "polib", "python-dateutil", "pytz", "requests",
                 "geoip2", "tendo", "pandas", "numpy", "pillow", "aiohttp",
                 "psycopg2-binary", "gunicorn"]  # fmt: skip
# job -> (KAM's page in bench/locustfile.py, the peer's pages in peer_locustfile.py)
JOBS = {
    "start of the day": ("KAM home", ["landing page", "my companies"]),
    "find an account": ("account list (filtered)", ["companies found"]),
    "one account": ("account 360", ["company"]),
    "one offer": ("offer detail", ["deal"]),
    "all accounts": ("all accounts", ["all companies"]),
    "all offers": ("all offers", ["all deals"]),
}
TARGET = 3  # KAM at least 3 × faster


def _python312() -> str:
    for name in ("python3.13", "python3.12"):
        found = shutil.which(name)
        # a pyenv shim is on the PATH also for a version that is not selected
        if found and subprocess.run([found, "-c", "pass"], capture_output=True,
                                    check=False).returncode == 0:  # fmt: skip
            return found
    # or one pyenv installed but did not select
    for found in sorted(Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3")):
        return str(found)
    raise SystemExit("the peer needs Python 3.12 or newer (Django 6); none found")


def _settings() -> None:
    site = PEER / "site"
    site.mkdir(parents=True, exist_ok=True)
    url = database_url(PEER_DB)
    (site / "peer_settings.py").write_text(
        "from urllib.parse import urlsplit\n"
        "from webcrm.settings import *  # noqa\n\n"
        f"_db = urlsplit({url!r})\n"
        'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",\n'
        '    "NAME": _db.path[1:], "USER": _db.username or "postgres",\n'
        '    "PASSWORD": _db.password or "", "HOST": _db.hostname,\n'
        '    "PORT": _db.port or 5432, "CONN_MAX_AGE": 60}}\n'
        "DEBUG = False\nALLOWED_HOSTS = ['*']\nTESTING = False\n"
        'EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"\n'
    )


def _peer(*args: str, capture=False) -> str:
    env = {**os.environ, "PYTHONPATH": f"{PEER / 'site'}:{ROOT / 'bench'}",
           "DJANGO_SETTINGS_MODULE": "peer_settings"}  # fmt: skip
    done = subprocess.run(
        [str(PEER / "venv" / "bin" / "python"), *args], cwd=PEER / "site", env=env,
        check=True, text=True, stdout=subprocess.PIPE if capture else None,
    )  # fmt: skip
    return done.stdout if capture else ""


def install_and_seed() -> dict:
    """The peer's virtualenv, database and data (each step skipped when done)."""
    venv = PEER / "venv"
    if not (venv / "bin" / "gunicorn").exists():
        print(f"installing django-crm-admin {PEER_VERSION} …", flush=True)
        subprocess.run([_python312(), "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "-q"]
        subprocess.run([*pip, "--no-deps", f"django-crm-admin=={PEER_VERSION}"],
                       check=True)  # fmt: skip
        subprocess.run([*pip, *PEER_PACKAGES], check=True)
    _settings()
    import psycopg2

    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PEER_DB])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {PEER_DB}")
    admin.close()
    probe = psycopg2.connect(database_url(PEER_DB))
    with probe.cursor() as cursor:
        cursor.execute("SELECT to_regclass('crm_company') IS NOT NULL")
        migrated = cursor.fetchone()[0]
        set_up = False
        if migrated:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM auth_user)")
            set_up = cursor.fetchone()[0]
    probe.close()
    if not migrated:
        _peer("-m", "django", "migrate", "-v0")
    if not set_up:
        _peer("-m", "django", "setupdata")
    print("the peer's data (bench/peer_seed.py) …", flush=True)
    return json.loads(_peer(str(ROOT / "bench" / "peer_seed.py"), PASSWORD,
                            capture=True))  # fmt: skip


def _serve_peer(workers: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PEER / "site"),
           "DJANGO_SETTINGS_MODULE": "peer_settings"}  # fmt: skip
    return pages.start_server(
        # the same gunicorn settings as KAM's (the collector's freeze, kam/gunicorn.py)
        [str(PEER / "venv" / "bin" / "gunicorn"), "-c", str(pages.ROOT / "kam" / "gunicorn.py"),
         "webcrm.wsgi", "-b",
         f"127.0.0.1:{PEER_PORT}", "-w", str(workers), "--access-logfile",
         "/dev/null", "--log-level", "warning"],
        PEER / "site", env, PEER_PORT,
    )  # fmt: skip


def _peer_locust(args, fixture_path: Path, page: str, users: int) -> dict:
    prefix = pages.RESULTS / "peer-run"
    pages.run_locust(_serve_peer(args.workers), PEER_PORT, "peer_locustfile.py",
                     prefix, args.seconds, users, ("PeerPage",),
                     {"KAM_BENCH_PEER_FIXTURE": str(fixture_path),
                      "KAM_BENCH_PEER_PAGE": page})  # fmt: skip
    return pages._page_stats(prefix, page)


def _kam_locust(args, fixture_path: Path, page: str, users: int) -> dict:
    prefix = pages.RESULTS / "peer-kam-run"
    pages._locust(args, fixture_path, prefix, "OnePage", users=users,
                  KAM_BENCH_PAGE=page)  # fmt: skip
    return pages._page_stats(prefix, page)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    peer_data = install_and_seed()
    pages.use_database(pages.DB)
    password = "kam-demo"  # noqa: S105 (the demo users' password)
    if not pages._database_ready():
        raise SystemExit("run bench/pages.py first: it builds the large dataset")
    import django

    django.setup()
    pages.RESULTS.mkdir(parents=True, exist_ok=True)
    kam_fixture = pages.RESULTS / "peer-kam-fixture.json"
    kam_fixture.write_text(json.dumps(pages.fixture(password)))
    peer_fixture = pages.RESULTS / "peer-fixture.json"
    peer_fixture.write_text(json.dumps(peer_data))
    runs: dict = {}
    try:
        for users, level in ((1, "1 client"), (4, "4 clients")):
            runs[("kam", "floor", level)] = _kam_locust(
                args, kam_fixture, "floor", users
            )
            for job, (ours, theirs) in JOBS.items():
                runs[("kam", ours, level)] = _kam_locust(args, kam_fixture, ours, users)
                for page in theirs:
                    runs[("peer", page, level)] = _peer_locust(args, peer_fixture,
                                                               page, users)  # fmt: skip
                print(level, job, {k[1]: v["p50_ms"] for k, v in runs.items()
                                   if k[2] == level}, flush=True)  # fmt: skip
    finally:
        kam_fixture.unlink(missing_ok=True)
        peer_fixture.unlink(missing_ok=True)
    floor = runs[("kam", "floor", "1 client")]
    rows = []
    for job, (ours, theirs) in JOBS.items():
        mine = runs[("kam", ours, "1 client")]
        for page in theirs:
            other = runs[("peer", page, "1 client")]
            rows.append({
                "job": job, "kam_page": ours, "peer_page": page,
                "kam_p50_ms": mine["p50_ms"], "peer_p50_ms": other["p50_ms"],
                "kam_mean_ms": mine["mean_ms"], "peer_mean_ms": other["mean_ms"],
                "speedup": round(other["mean_ms"] / mine["mean_ms"], 1),
                "kam_p95_4_ms": runs[("kam", ours, "4 clients")]["p95_ms"],
                "peer_p95_4_ms": runs[("peer", page, "4 clients")]["p95_ms"],
                "kam_floor_ratio": round(mine["p50_ms"] / floor["p50_ms"], 1),
                "failures": mine["failures"] + other["failures"],
            })  # fmt: skip
    result = {"seconds": args.seconds, "workers": args.workers, "peer":
              f"django-crm-admin {PEER_VERSION}", "counts": peer_data["counts"],
              "floor": floor, "rows": rows, "target": TARGET}  # fmt: skip
    chart = pages.times_chart(
        [(f"{r['job']}: {r['peer_page']}", r["speedup"]) for r in rows], TARGET,
        at_most=False, left=260,
        caption="how many times faster KAM answers (mean at 1 client)",
    )  # fmt: skip
    lines = [
        f"# KAM against DjangoCRM {PEER_VERSION} on equal data ({args.seconds} s per "
        f"run, gunicorn {args.workers} workers each, one server at a time)", "",
        "![KAM's speed-up per job](peer.svg)", "",
        f"The peer's data: {peer_data['counts']}. KAM's floor view: p50 "
        f"{floor['p50_ms']:.0f} ms, mean {floor['mean_ms']} ms at 1 client.", "",
        "| job | KAM page | peer page | 1 client: KAM p50 / mean ms | peer p50 / mean ms "
        "| KAM faster (means) | 4 clients: KAM p95 | peer p95 | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    lines += [f"| {r['job']} | {r['kam_page']} | {r['peer_page']} | "
              f"{r['kam_p50_ms']:.0f} / {r['kam_mean_ms']} | "
              f"{r['peer_p50_ms']:.0f} / {r['peer_mean_ms']} | {r['speedup']} × | "
              f"{r['kam_p95_4_ms']:.0f} | {r['peer_p95_4_ms']:.0f} | {r['failures']} |"
              for r in rows]  # fmt: skip
    pages.write_results("peer", result, chart, lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    main()
