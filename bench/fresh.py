"""A fresh PostgreSQL database for a benchmark, and the environment to use it."""

import os
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent


def use_database(name: str) -> None:
    """Point Django (test settings) and Celery (Redis db 14) at database `name`.
    Call before django.setup()."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kam.settings.test"
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/14"


def use_fresh_database(name: str) -> None:
    """Drop and create database `name`, then `use_database(name)`."""
    import psycopg2

    use_database(name)
    admin = psycopg2.connect("dbname=postgres user=postgres host=127.0.0.1")
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
