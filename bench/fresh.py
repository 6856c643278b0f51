"""A fresh PostgreSQL database for a benchmark, and the environment to use it."""

import os
import sys
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# the server of $DATABASE_URL / $CELERY_BROKER_URL when set, else this machine's
_DATABASE = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/x"
_BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"


def database_url(name: str) -> str:
    """Database `name` on the PostgreSQL server of $DATABASE_URL (the benchmarks
    build their own databases there)."""
    url = urlsplit(_DATABASE)
    if not url.scheme.startswith("postgres"):
        raise SystemExit(f"bench/ needs PostgreSQL; DATABASE_URL is {url.scheme}:")
    return urlunsplit((url.scheme, url.netloc, f"/{name}", "", ""))


def redis_url(db: int) -> str:
    """Redis database `db` on the server of $CELERY_BROKER_URL."""
    broker = urlsplit(_BROKER)
    return urlunsplit((broker.scheme, broker.netloc, f"/{db}", "", ""))


def use_database(name: str) -> None:
    """Point Django (test settings) at database `name` and Celery at Redis db 14 of
    the configured servers. Call before django.setup()."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kam.settings.test"
    os.environ["DATABASE_URL"] = database_url(name)
    broker = urlsplit(_BROKER)
    os.environ["CELERY_BROKER_URL"] = urlunsplit(
        (broker.scheme, broker.netloc, "/14", "", "")
    )


def use_fresh_database(name: str) -> None:
    """Drop and create database `name`, then `use_database(name)`."""
    import psycopg2

    use_database(name)
    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()


class Statement(NamedTuple):
    sql: str
    seconds: float


def recording(queries: list):
    """A `connection.execute_wrapper` that appends every statement to `queries`, with
    how long it took (`Statement`)."""

    def record(run, sql, params, many, context):
        started = time.perf_counter()
        try:
            return run(sql, params, many, context)
        finally:
            queries.append(Statement(sql, time.perf_counter() - started))

    return record
