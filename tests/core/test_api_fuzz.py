"""Schemathesis reads /api/schema/ and throws generated requests at every operation:
whatever it sends, the API answers without a server error."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from kam.wsgi import application
from tests.factories import AccountFactory, ContactFactory, TaskFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def keep_connection():
    """Called straight through WSGI, Django would close the test's database connection
    at the end of each request; the test client switches that off, and so does this."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def token(cast, keep_connection):
    """A KAM with an account, a contact and a task, so ids in the API hit real rows."""
    account = AccountFactory(owner=cast.kam)
    ContactFactory(account=account)
    TaskFactory(assignee=cast.kam, account=account)
    AccountFactory(owner=cast.kam3)  # another team's account, which must stay hidden
    return Token.objects.create(user=cast.kam).key


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much],
)  # fmt: skip
def test_no_request_makes_a_server_error(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"}, checks=[not_a_server_error]
    )
