"""Set-based writes for batch jobs: multi-row INSERTs and history snapshots.

One statement writes hundreds of rows (PostgreSQL and SQLite alike); nothing here
builds model instances. Callers pass values the database driver adapts (ints,
strings, dates, Decimals, None); datetimes go through `db_datetime`.
"""

from collections.abc import Iterable, Sequence

from django.db import connection, models

BATCH = 500


def db_datetime(value):
    """A timezone-aware datetime as the database backend stores it."""
    return connection.ops.adapt_datetimefield_value(value)


def _chunks(rows: Sequence, size: int):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence],
    *,
    returning: bool = False,
) -> list[int]:
    """Insert rows in multi-row statements; return the new ids in row order."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    size = max(1, min(BATCH, 30000 // len(columns)))
    ids: list[int] = []
    rows = list(rows)
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, size):
            sql = f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([one] * len(chunk))
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
) -> None:
    """Write django-simple-history rows for rows changed in bulk (one per id)."""
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
    columns = [
        f.column for f in historical._meta.concrete_fields if f.name not in own
    ]
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in columns)
    table = q(historical._meta.db_table)
    source = q(model._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(list(ids), 2000):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({cols}, history_date, history_change_reason, "
                f"history_type, history_user_id) SELECT {cols}, %s, %s, %s, NULL "
                f"FROM {source} WHERE id IN ({marks})",
                [db_datetime(at), reason[:100], history_type, *chunk],
            )


def update_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]
) -> None:
    """Set different values per row in one statement: UPDATE ... FROM (VALUES ...).

    Each row is (id, value, ...). VALUES columns are named column1, column2, ...
    in PostgreSQL and SQLite alike.
    """
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    sets = ", ".join(f"{q(c)} = v.column{i}" for i, c in enumerate(columns, start=2))
    one = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    with connection.cursor() as cursor:
        for chunk in _chunks(list(rows), BATCH):
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES "
                + ", ".join([one] * len(chunk))
                + f") AS v WHERE {table}.id = v.column1",
                [value for row in chunk for value in row],
            )
