"""The account's version: one counter that every write concerning the account raises.

The account 360 caches its panels by the account's version (`accounts.panels`). A
cached panel is right only if every write that could change it raises the version
in the same transaction: the services' writes, the admin's, the bulk writers' COPY
and the nightly jobs' SQL alike. So the database raises it, by triggers that this
module installs after every `migrate` on every table that names an account
directly (`account_id`) or through one parent that does (an invoice line through
its invoice), and on the account's own row. A table added later is covered by
the next `migrate` (tests/accounts/test_versions.py checks that none is left out).

PostgreSQL: one statement-level trigger per table and event, reading the rows the
statement wrote from its transition table: a COPY of 100,000 invoice lines raises
each account once, and the accounts are locked in the order of their ids. SQLite
(the embedded default): row-level triggers.
"""

import hashlib
from contextlib import contextmanager

from django.apps import apps
from django.db import connections
from django.db.models import Count, F, Sum

from accounts.models import Account

PREFIX = "kam_av_"


def stamp(prefix: str, where=None) -> dict:
    """Aggregates that change whenever a set of accounts does: how many, and the sums
    of their versions, plain and weighted by id (versions only grow, so a raised
    version moves both; an account joining or leaving moves the count or the
    weighted sum). `queryset.aggregate(**stamp("group_"))`; `where` a Q to count
    only some of the rows aggregated."""
    return {
        f"{prefix}n": Count("pk", filter=where),
        f"{prefix}v": Sum("version", filter=where),
        f"{prefix}w": Sum(F("version") * F("pk"), filter=where),
    }


def stamp_of(keys) -> tuple[int, int, int]:
    """The stamp of `stamp` from the accounts' (id, version) pairs read already."""
    keys = list(keys)
    return (
        len(keys),
        sum(version for _pk, version in keys),
        sum(version * pk for pk, version in keys),
    )


def _is_history(model) -> bool:
    return hasattr(model, "instance_type")  # django-simple-history's copies


def tracked() -> list[tuple[str, list[tuple[str, str | None, str | None]]]]:
    """(table, [(column, parent table, parent's account column)]) for every table
    whose rows belong to an account: directly (parent None) or through a parent."""
    models = [
        m for m in apps.get_models(include_auto_created=True)
        if m is not Account and not _is_history(m) and not m._meta.proxy
    ]  # fmt: skip

    def relations(model, to) -> list:
        return [f for f in model._meta.concrete_fields
                if f.is_relation and f.related_model in to]  # fmt: skip

    direct = {m: relations(m, {Account}) for m in models}
    direct = {m: fields for m, fields in direct.items() if fields}
    tables = {m._meta.db_table: [(f.column, None, None) for f in fields]
              for m, fields in direct.items()}  # fmt: skip
    for model in models:
        via = [] if model in direct else relations(model, direct)
        if via:
            tables[model._meta.db_table] = [
                (f.column, f.related_model._meta.db_table,
                 direct[f.related_model][0].column) for f in via
            ]  # fmt: skip
    return sorted(tables.items())


def _ids(rows: str, via) -> str:
    """SQL selecting the account ids of the rows in `rows` (a table or row alias)."""
    parts = []
    for column, parent, parent_column in via:
        if parent is None:
            parts.append(f"SELECT {column} FROM {rows}")
        else:
            parts.append(
                f"SELECT p.{parent_column} FROM {parent} p "
                f"JOIN {rows} r ON p.id = r.{column}"
            )
    return " UNION ".join(parts)


# PostgreSQL: a write raises its accounts' versions, each statement. A bulk writer
# that writes several tables of the same accounts (a renewal chunk: contracts,
# terms, subscriptions, events, invoices and their lines of 1,000 accounts) holds
# them while it does (`held`): raised once, in the order of their ids, and noted
# in a temporary table (emptied at commit, rolled back with a savepoint); the
# triggers leave the accounts noted there alone, where they rewrote each account
# row (and its nine indexes) eight times. Leaving `held` lets them go again.
RAISE = f"""
CREATE OR REPLACE FUNCTION {PREFIX}raise(ids bigint[], hold boolean) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
  todo bigint[];
BEGIN
  IF to_regclass('pg_temp.{PREFIX}held') IS NULL THEN
    IF NOT hold THEN
      todo := ids;
    ELSE
      CREATE TEMP TABLE {PREFIX}held (id bigint PRIMARY KEY) ON COMMIT DELETE ROWS;
    END IF;
  END IF;
  IF hold THEN
    EXECUTE 'WITH fresh AS (INSERT INTO pg_temp.{PREFIX}held '
      'SELECT DISTINCT t.id FROM unnest($1) AS t(id) WHERE t.id IS NOT NULL '
      'ON CONFLICT DO NOTHING RETURNING id) SELECT array_agg(id) FROM fresh'
      INTO todo USING ids;
  ELSIF todo IS NULL THEN
    EXECUTE 'SELECT array_agg(t.id) FROM unnest($1) AS t(id) WHERE NOT EXISTS '
      '(SELECT 1 FROM pg_temp.{PREFIX}held h WHERE h.id = t.id)'
      INTO todo USING ids;
  END IF;
  IF todo IS NOT NULL THEN
    UPDATE accounts_account a SET version = a.version + 1 FROM (
      SELECT id FROM accounts_account WHERE id = ANY(todo)
      ORDER BY id FOR NO KEY UPDATE) s
    WHERE a.id = s.id;
  END IF;
  RETURN todo;
END $$
"""
RELEASE = f"DELETE FROM pg_temp.{PREFIX}held WHERE id = ANY(%s::bigint[])"


def _postgresql(table: str, via) -> list[str]:
    statements = []
    for event, refs, rows in (
        ("INSERT", "NEW TABLE AS kam_new", ["kam_new"]),
        ("UPDATE", "OLD TABLE AS kam_old NEW TABLE AS kam_new", ["kam_old", "kam_new"]),
        ("DELETE", "OLD TABLE AS kam_old", ["kam_old"]),
    ):
        ids = " UNION ".join(_ids(r, via) for r in rows)
        name = f"{PREFIX}{table}_{event.lower()}"[:63]
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN PERFORM {PREFIX}raise(ARRAY({ids}), false); RETURN NULL; "
            "END $$",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {refs} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite(table: str, via) -> list[str]:
    statements = []
    for event, rows in (
        ("INSERT", ["NEW"]),
        ("UPDATE", ["OLD", "NEW"]),
        ("DELETE", ["OLD"]),
    ):
        ids = []
        for row in rows:
            for column, parent, parent_column in via:
                ids.append(
                    f"{row}.{column}"
                    if parent is None
                    else f"(SELECT {parent_column} FROM {parent} "
                    f"WHERE id = {row}.{column})"
                )
        statements.append(
            f"CREATE TRIGGER {PREFIX}{table}_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN UPDATE accounts_account SET version = version + 1 "
            f"WHERE id IN ({', '.join(ids)}); END"
        )
    return statements


def _own_row(vendor: str) -> list[str]:
    """Any update of the account raises its version, and never lowers it (a form
    saving the version it read is raised past the one stored)."""
    if vendor == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {PREFIX}account() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "NEW.version := GREATEST(NEW.version, OLD.version + 1); RETURN NEW; "
            "END $$",
            f"CREATE TRIGGER {PREFIX}account BEFORE UPDATE ON accounts_account "
            f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}account()",
        ]
    return [
        f"CREATE TRIGGER {PREFIX}account AFTER UPDATE ON accounts_account "
        "WHEN NEW.version <= OLD.version BEGIN UPDATE accounts_account "
        "SET version = OLD.version + 1 WHERE id = NEW.id; END"
    ]


def statements(vendor: str) -> list[str]:
    build = _postgresql if vendor == "postgresql" else _sqlite
    out = [RAISE] if vendor == "postgresql" else []
    out += _own_row(vendor)
    for table, via in tracked():
        out += build(table, via)
    return out


def _installed(cursor, vendor: str) -> list[tuple[str, str]]:
    """(trigger, table) of the triggers this module installed, and its stamp."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE %s "
            "UNION ALL SELECT proname, '' FROM pg_proc WHERE proname LIKE %s",
            [PREFIX + "%", PREFIX + "stamp%"],
        )
    else:
        cursor.execute(
            "SELECT name, tbl_name FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE %s",
            [PREFIX + "%"],
        )
    return cursor.fetchall()


def install(using: str = "default") -> bool:
    """Install the triggers unless these very ones are in place; True if it did."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return False
    wanted = statements(vendor)
    stamp = (
        PREFIX + "stamp_" + hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:12]
    )
    with connection.cursor() as cursor:
        present = _installed(cursor, vendor)
        if any(name == stamp for name, _table in present):
            return False
        for name, table in present:
            if vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            elif table:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            else:
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        for sql in wanted:
            cursor.execute(sql)
        # the stamp says which definitions are in place (a function or an inert
        # trigger): the next migrate skips all of this while they are the same
        if vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {stamp}() RETURNS void LANGUAGE sql AS 'SELECT'"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {stamp} AFTER DELETE ON accounts_account WHEN 0 "
                "BEGIN SELECT 1; END"
            )
    return True


def installed_tables(using: str = "default") -> set[str]:
    """The tables that carry this module's triggers (for the test that none is
    left out)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return {table for name, table in _installed(cursor, connection.vendor)
                if table and "stamp" not in name}  # fmt: skip


@contextmanager
def held(account_ids):
    """Raise the accounts' versions now, once for what runs inside, taking their
    rows in the order of their ids.

    A bulk writer wraps its writes in it (the triggers leave these accounts alone
    until it ends), and also what it writes under another lock (the invoice
    writer holds its series' counter until it commits): it never waits for an
    account while holding that lock, and two such writers take their accounts in
    the same order. Without it the result is the same, only slower: every
    statement raises the version. Nested, the inner one releases only the accounts
    it held itself."""
    ids = sorted({pk for pk in account_ids if pk is not None})
    connection = connections["default"]
    fresh: list[int] = []
    if ids:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT {PREFIX}raise(%s::bigint[], true)", [ids])
                fresh = cursor.fetchone()[0] or []
            else:
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    "UPDATE accounts_account SET version = version + 1 "
                    f"WHERE id IN ({marks})",
                    ids,
                )
    yield
    # let them go (after an error the savepoint that rolls back takes them back)
    if fresh:
        with connection.cursor() as cursor:
            cursor.execute(RELEASE, [fresh])
