"""Reads kept for one request (core.memo)."""

from decimal import Decimal

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import ExchangeRate
from catalog.selectors import exchange_rates
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def rate_reads(queries) -> int:
    return sum('"catalog_exchangerate"' in q["sql"] for q in queries)


def test_outside_a_request_every_call_reads_the_rows(django_assert_num_queries):
    ExchangeRate.objects.create(currency="USD", rate_to_base=Decimal("0.9"))
    with django_assert_num_queries(2):
        exchange_rates()
        exchange_rates()
    ExchangeRate.objects.filter(currency="USD").update(rate_to_base=Decimal("0.8"))
    assert exchange_rates()["USD"] == Decimal("0.8")


def test_within_a_request_the_rows_are_read_once_and_forgotten_after_it(
    django_assert_num_queries,
):
    ExchangeRate.objects.create(currency="USD", rate_to_base=Decimal("0.9"))
    # as Django's test client does: the test's transaction outlives the "request"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        with django_assert_num_queries(1):
            first = exchange_rates()
            first["USD"] = Decimal("5")  # a caller's change stays its own
            assert exchange_rates() == {"USD": Decimal("0.9"), "EUR": Decimal("1")}
        request_finished.send(sender=None)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    ExchangeRate.objects.filter(currency="USD").update(rate_to_base=Decimal("0.8"))
    assert exchange_rates()["USD"] == Decimal("0.8")  # the next request reads anew


def test_the_account_360_reads_exchange_rates_once(client, cast):
    account = AccountFactory(owner=cast.kam)
    client.force_login(cast.kam)
    with CaptureQueriesContext(connection) as ctx:
        assert (
            client.get(reverse("accounts:detail", args=[account.pk])).status_code == 200
        )
    assert rate_reads(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:  # and again on the next request
        client.get(reverse("accounts:detail", args=[account.pk]))
    assert rate_reads(ctx.captured_queries) == 1
