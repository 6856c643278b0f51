"""Notifications for many people at once: one statement, once per person and key."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Notification
from core.services import notifications_create

pytestmark = pytest.mark.django_db


def test_many_people_are_told_in_one_statement_and_once_per_key(cast):
    people = [cast.cs, cast.kam, cast.manager]
    with CaptureQueriesContext(connection) as queries:
        notifications_create(
            users=people, title="New contract CT-1", url="/x/", dedupe_key="ct:1"
        )
    assert len(queries) == 1
    # again, with one more person: only the newcomer is told, nobody twice
    notifications_create(
        users=[*people, cast.kam2], title="New contract CT-1", dedupe_key="ct:1"
    )
    told = Notification.objects.filter(dedupe_key="ct:1")
    assert sorted(told.values_list("user__username", flat=True)) == sorted(
        ["cs", "kam", "manager", "kam2"]
    )
    assert set(told.values_list("title", flat=True)) == {"New contract CT-1"}


def test_without_a_key_every_call_tells_again(cast):
    for _ in range(2):
        notifications_create(users=[cast.cs], title="x" * 250)
    titles = list(
        Notification.objects.filter(user=cast.cs).values_list("title", flat=True)
    )
    assert titles == ["x" * 200] * 2
