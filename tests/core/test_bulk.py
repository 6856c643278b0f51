"""core.bulk.insert_rows: what goes in through COPY (PostgreSQL) or multi-row
INSERT (SQLite) comes back unchanged, whatever the text holds."""

from datetime import UTC, datetime

import pytest

from accounts.models import TimelineEntry
from core.bulk import insert_rows
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

TEXTS = [
    "plain",
    "tab\there",
    "two\nlines",
    "carriage\r\nreturn",
    "back\\slash \\N not null",
    "\\t literally",
    "Ümlaut – “quotes” ✓",
    "",
]


def test_text_with_control_characters_comes_back_as_written():
    account = AccountFactory()
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    ids = insert_rows(
        TimelineEntry,
        ["account_id", "occurred_at", "kind", "title", "summary",
         "related_object_id", "text"],
        [(account.pk, at, TimelineEntry.Kind.EVENT, f"title {i}", text, "", "{}")
         for i, text in enumerate(TEXTS)],
        returning=True,
    )  # fmt: skip
    rows = dict(
        TimelineEntry.objects.filter(pk__in=ids).values_list("title", "summary")
    )
    assert rows == {f"title {i}": text for i, text in enumerate(TEXTS)}
    entry = TimelineEntry.objects.get(pk=ids[0])
    assert entry.occurred_at == at and entry.kind == "event"
