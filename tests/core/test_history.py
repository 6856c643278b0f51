"""History tables are indexed for how they are read: by the object's id."""

from datetime import date

import pytest
from django.apps import apps
from django.db import connection
from django.utils import translation

from core.dates import show_date


def histories():
    """The models with a change history (django-simple-history marks them)."""
    return [
        model
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
    ]


@pytest.mark.django_db
def test_history_tables_index_the_objects_id_and_nothing_else_copied():
    models = histories()
    names = {m._meta.label for m in models}
    assert {"contracts.Invoice", "contracts.Contract", "contracts.Subscription",
            "accounts.Account"} <= names  # fmt: skip
    for model in models:
        historical = model.history.model
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(
                cursor, historical._meta.db_table
            )
        indexed = {
            tuple(c["columns"])
            for c in constraints.values()
            if c["index"] or c["unique"] or c["primary_key"]
        }
        assert indexed == {("history_id",), ("id",), ("history_date",),
                           ("history_user_id",)}, (model, indexed)  # fmt: skip


def test_a_date_is_shown_in_each_readers_language_also_when_remembered():
    day = date(2027, 10, 2)
    with translation.override("en"):
        assert show_date(day) == "2 Oct 2027"
    with translation.override("de"):
        assert show_date(day) == "02.10.2027"
    with translation.override("en"):
        assert show_date(day) == "2 Oct 2027"
