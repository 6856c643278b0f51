"""Which of the apps' tables a piece of code wrote: an execute wrapper on the
test's connection, for tests that must prove a request changed nothing (or check
what changed only when something was written)."""

import re

# planning's tables keep their insights_ names
LABELS = ("accounts", "offers", "contracts", "renewals", "insights", "core", "catalog")
APP_TABLES = tuple(f"{label}_" for label in LABELS)
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.I)


class Writes:
    """An execute wrapper noting every statement that writes one of the apps'
    tables (their history tables included); sessions and login throttling are
    not the world's.

        writes = Writes()
        with connection.execute_wrapper(writes):
            ...
        assert not writes.tables
    """

    def __init__(self):
        self.tables: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and match.group(1).startswith(APP_TABLES):
            self.tables.append(match.group(1))
        return execute(sql, params, many, context)
