"""Schemathesis reads /api/schema/ and throws generated requests at every operation, in
every phase: the schema's examples, the coverage of each constraint's edges (valid and
not), fuzzing (valid and not), and stateful sequences that feed one response's ids
into the next request. Bodies come as JSON and as multipart form data alike.

Whatever it sends, the API answers without a server error, with a status code, a
content type and a body that the schema documents. The caller is a KAM, and another
team's account stays out of reach all along."""

from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client as WsgiClient

from accounts.models import Account, Contact, Task
from kam.wsgi import application
from tests.factories import AccountFactory, ContactFactory, TaskFactory
from tests.writes import Writes

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PHASES = ["examples", "coverage", "fuzzing", "stateful"]
CONFIG = schemathesis.Config.from_dict(
    {"phases": {name: {"enabled": True} for name in PHASES},
     "generation": {"mode": "all"}}
)  # fmt: skip
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
HYPOTHESIS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,  # every run explores afresh; a failure prints its reproduction
)


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


class World:
    """A KAM with an account, a contact and a task, so ids in the API hit real rows,
    beside another team's account with a contact and a task of its own."""

    def __init__(self, cast):
        self.account = AccountFactory(owner=cast.kam)
        self.contact = ContactFactory(account=self.account)
        # another contact reports to this one, so deleting it has something to say
        ContactFactory(account=self.account, reports_to=self.contact)
        TaskFactory(assignee=cast.kam, account=self.account)
        self.foreign = AccountFactory(owner=cast.kam3, name="Foreign Holding")
        self.foreign_contact = ContactFactory(account=self.foreign)
        self.foreign_task = TaskFactory(assignee=cast.kam3, account=self.foreign)
        self.token = Token.objects.create(user=cast.kam).key
        self.headers = {"Authorization": f"Token {self.token}"}

    def assert_foreign_untouched(self):
        """The other team's rows are still there, unchanged, and still a 404."""
        self.assert_foreign_hidden()
        self.assert_foreign_unchanged()

    def assert_foreign_hidden(self):
        """The other team's rows are a 404 (asked through WSGI as the fuzzer asks:
        Django's test client would put back the signal that closes the test's
        connection after each request)."""
        client = WsgiClient(application)
        for url in (
            f"/api/v1/accounts/{self.foreign.pk}/",
            f"/api/v1/contacts/{self.foreign_contact.pk}/",
            f"/api/v1/tasks/{self.foreign_task.pk}/",
        ):
            response = client.get(url, headers=self.headers)
            assert response.status_code == 404, (url, response.status_code)
            assert set(response.json) == {"detail"}

    def assert_foreign_unchanged(self):
        """The other team's rows are still there, unchanged."""
        foreign = Account.objects.get(pk=self.foreign.pk)
        assert (foreign.name, foreign.updated_at) == (
            "Foreign Holding",
            self.foreign.updated_at,
        )
        assert Contact.objects.filter(account=self.foreign).count() == 1
        assert Task.objects.filter(pk=self.foreign_task.pk).exists()


@pytest.fixture
def world(cast):
    return World(cast)


@pytest.fixture
def fuzzed_world(world, keep_connection):
    """The world, whose other team's rows are still a 404 once every example ran."""
    yield world
    world.assert_foreign_hidden()


@pytest.mark.django_db
@schema.parametrize()
@HYPOTHESIS
def test_no_request_makes_a_server_error_or_breaks_the_schema(case, fuzzed_world):
    world = fuzzed_world
    writes = Writes()
    with connection.execute_wrapper(writes):
        case.call_and_validate(headers=world.headers, checks=CHECKS)
    # every example that wrote anything: no write reached them (an example that
    # wrote nothing, most of them, cannot have; their 404s: once the examples are
    # run, in the fixture, which asks through WSGI and is 3 requests an example)
    if writes.tables:
        world.assert_foreign_unchanged()


STATEFUL_SEED = 20261203


def run_stateful(headers: dict) -> tuple[list[str], int, Counter]:
    """Run Schemathesis' own engine (as its command line does) over the schema, in
    its stateful phase only, with the four checks and `headers`; return the failures
    (with the requests that reproduce them), the scenarios run, and the statuses."""
    from schemathesis.engine import Status, events, from_schema

    config = schemathesis.Config.from_dict(
        {
            # a fixed seed: the same sequences each run (unseeded, a run now and
            # then drew no valid create at all and the test failed by chance)
            "seed": STATEFUL_SEED,
            "headers": headers,
            "phases": {name: {"enabled": name == "stateful"} for name in PHASES},
            "generation": {"mode": "all", "max-examples": 30, "database": "none"},
            "checks": {
                "enabled": False,
                **{c.__name__: {"enabled": True} for c in CHECKS},
            },
            "suppress-health-check": ["all"],
        }
    )
    # the sequences are of writes and the reads that feed them: the invoices'
    # file downloads (binary, read-only) are fuzzed one by one above, not here
    engine_schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", application, config=config
    ).exclude(path_regex=r"/invoices/\{id\}/(pdf|xml)/$")
    failures, scenarios, statuses = [], 0, Counter()
    for event in from_schema(engine_schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            scenarios += 1
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    statuses[interaction.response.status_code] += 1
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info:
                        info = check.failure_info
                        failures.append(f"{info.failure.title}: {info.code_sample}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {getattr(event, 'info', event)!r}")
    return failures, scenarios, statuses


@pytest.mark.django_db(transaction=True)
def test_stateful_sequences_keep_to_the_schema(world):
    """Sequences of calls, each feeding ids from the responses before it (the
    schema's OpenAPI links, core/api_schema.py), run by Schemathesis' engine, which keeps the
    sequences reproducible while the data they make changes under them. The engine
    calls from a thread of its own, with a connection of its own: the world is
    committed for it to see (transaction=True), and each request closes its
    connection as in production."""
    failures, scenarios, statuses = run_stateful(world.headers)
    assert failures == []
    assert scenarios >= 1
    # signed in, and things were made and read: not a run of refusals
    assert statuses[200] and statuses[201], statuses
    world.assert_foreign_untouched()


def test_the_fuzzer_runs_every_phase_and_both_body_kinds():
    """What the two tests above rely on: the configuration asks for every phase, and
    the schema offers JSON and multipart bodies for the writes."""
    phases = schema.config.phases
    assert all(getattr(phases, name).enabled for name in PHASES)
    kinds = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        for body in operation.body:
            kinds.add(body.media_type)
    assert {"application/json", "multipart/form-data"} <= kinds
