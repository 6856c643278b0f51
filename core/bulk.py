"""Set-based writes for batch jobs: COPY / multi-row INSERTs, UPDATE ... FROM
(VALUES ...), history snapshots, id lists as one parameter.

One statement writes hundreds or thousands of rows (PostgreSQL and SQLite alike);
nothing here builds model instances. Callers pass values the database driver
adapts (ints, strings, dates, Decimals, None); datetimes go through `db_datetime`.
Table and column names come from model metadata, never from input, and values are
always parameters: hence the S608 exemptions below.
"""

import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache

from django.db import connection, models
from django.db.models.expressions import RawSQL

BATCH = 500


def db_datetime(value):
    """A timezone-aware datetime as the database backend stores it."""
    return connection.ops.adapt_datetimefield_value(value)


def _chunks(rows: Sequence, size: int):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format (hot: called per cell)."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        # most text has nothing to escape: four scans in C beat a translation
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_ESCAPES)
        return value
    if kind is int or kind is Decimal:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, str):  # choices (str subclasses)
        return str(value).translate(_ESCAPES)
    return _iso(value)


@lru_cache(maxsize=4096)
def _iso(value) -> str:
    return value.isoformat()  # dates and datetimes repeat within a batch


def _copy(model, columns: Sequence[str], rows: list, returning: bool) -> list[int]:
    """PostgreSQL: COPY the rows in; ids come from the table's sequence first."""
    table = model._meta.db_table
    ids: list[int] = []
    if returning:
        ids = reserve_ids(model, len(rows))
        columns = ["id", *columns]
        rows = [(i, *row) for i, row in zip(ids, rows, strict=True)]
    with connection.cursor() as cursor:
        buffer = io.StringIO(
            "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
        )
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        # the raw cursor's errors as Django's (a unique key broken: IntegrityError)
        with connection.wrap_database_errors:
            cursor.cursor.copy_expert(
                f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN", buffer
            )
    return ids


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence],
    *,
    returning: bool = False,
) -> list[int]:
    """Insert rows in bulk; return the new ids in row order when asked.

    PostgreSQL gets one COPY (about five times faster than a multi-row INSERT);
    SQLite gets multi-row INSERT ... RETURNING statements.
    """
    rows = list(rows)
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy(model, columns, rows, returning)
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    size = max(1, min(BATCH, 30000 // len(columns)))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, size):
            sql = f"INSERT INTO {table} ({cols}) VALUES " + ", ".join(  # noqa: S608  # noqa: S608
                [one] * len(chunk)
            )
            if returning:
                sql += " RETURNING id"
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                ids.extend(r[0] for r in cursor.fetchall())
    return ids


def history_snapshot(
    model: type[models.Model],
    ids: Sequence[int],
    *,
    history_type: str,
    reason: str,
    at,
    user_id: int | None = None,
) -> None:
    """Write django-simple-history rows for rows changed in bulk (one per id), by
    `user_id` (None: the system)."""
    if not ids:
        return
    historical = model.history.model
    own = {
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user",
    }
    columns = [f.column for f in historical._meta.concrete_fields if f.name not in own]
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in columns)
    table = q(historical._meta.db_table)
    source = q(model._meta.db_table)
    ids_sql = id_list(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({cols}, history_date, history_change_reason, "  # noqa: S608
            f"history_type, history_user_id) SELECT {cols}, %s, %s, %s, %s "
            f"FROM {source} WHERE id IN ({ids_sql.sql})",
            [db_datetime(at), reason[:100], history_type, user_id, *ids_sql.params],
        )


def update_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    casts: dict[str, str] | None = None,
) -> None:
    """Set different values per row in one statement: UPDATE ... FROM (VALUES ...).

    Each row is (id, value, ...). VALUES columns are named column1, column2, ...
    in PostgreSQL and SQLite alike. `casts` names PostgreSQL types for columns whose
    values come as text (JSON as a string: {"score_inputs": "jsonb"}); SQLite
    stores them as given.
    """
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    casts = casts if connection.vendor == "postgresql" else None
    sets = ", ".join(
        f"{q(c)} = v.column{i}" + (f"::{casts[c]}" if casts and c in casts else "")
        for i, c in enumerate(columns, start=2)
    )
    one = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    with connection.cursor() as cursor:
        for chunk in _chunks(list(rows), BATCH):
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES "  # noqa: S608
                + ", ".join([one] * len(chunk))
                + f") AS v WHERE {table}.id = v.column1",
                [value for row in chunk for value in row],
            )


def id_list(ids) -> RawSQL:
    """Ids as one query parameter for `field__in=`: thousands of ids cost one
    array (PostgreSQL) or one JSON string (SQLite), not a parameter each."""
    ids = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` new primary keys for rows inserted with explicit ids.

    PostgreSQL takes them from the table's sequence (safe beside other writers);
    SQLite counts on from the highest id (its writer holds the database lock).
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [table, count],
            )
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(
            f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}"  # noqa: S608
        )
        highest = cursor.fetchone()[0]
    return list(range(highest + 1, highest + 1 + count))


def load_rows(model, rows: Iterable[dict], *, returning: bool = False) -> list[int]:
    """Insert rows given as dicts of attnames; a column a row leaves out gets the
    field's default ("" for text without one, None when nullable, now for
    auto_now fields). For generated data: demo datasets and benchmarks."""
    from django.utils import timezone

    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if f.attname != "id"]
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        else:
            defaults[f.attname] = f.get_default()
    columns = [f.attname for f in fields]
    body = []
    for row in rows:
        merged = {**defaults, **row}
        body.append(
            [
                json.dumps(v) if isinstance(v, dict | list) else v
                for v in (merged[c] for c in columns)
            ]
        )
    return insert_rows(model, columns, body, returning=returning)
