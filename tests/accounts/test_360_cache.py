"""The account 360 keeps its order situation and its sections in the cache by the
account's version: a write concerning the account shows on the next look, however
it was written, and a look with nothing changed reads almost nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import OrderLine
from catalog.models import ExchangeRate
from tests.conftest import account_360
from tests.factories import AccountFactory, OrderLineFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _get(client, account):
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(account.get_absolute_url()).content.decode()
    return html, len(ctx.captured_queries)


def _revenue(html: str) -> str:
    return html.split('data-testid="revenue-12m">')[1].split("<")[0]


def test_an_order_shows_at_once_and_nothing_new_reads_little(client, cast):
    account = AccountFactory(owner=cast.kam, currency="EUR")
    OrderLineFactory(account=account, net_amount=Decimal("100.00"),
                     ordered_on=timezone.localdate() - timedelta(days=3))  # fmt: skip
    client.force_login(cast.kam)
    html, cold = _get(client, account)
    assert _revenue(html) == "100.00"
    html, warm = _get(client, account)
    assert _revenue(html) == "100.00" and warm < cold - 5
    # an import's kind of write: rows of the account's order lines, in bulk
    OrderLine.objects.bulk_create([OrderLine(
        account=account, product=OrderLine.objects.get().product, quantity=1,
        net_amount=Decimal("50.00"), currency="EUR", external_ref=f"IMP-{i}",
        ordered_on=timezone.localdate() - timedelta(days=1)) for i in range(2)])  # fmt: skip
    html, _n = _get(client, account)
    assert _revenue(html) == "200.00"


def test_a_company_of_the_group_changing_makes_the_parents_situation_anew(client, cast):
    parent = AccountFactory(owner=cast.kam, revenue_12m=Decimal("1000"))
    child = AccountFactory(owner=cast.kam, parent=parent, name="Child Co",
                           revenue_12m=Decimal("500"))  # fmt: skip
    client.force_login(cast.kam)
    html, _n = _get(client, parent)
    assert "1,500" in html and "Child Co" in html
    # the nightly revenue recompute's kind of write, on the child only
    type(child).objects.filter(pk=child.pk).update(revenue_12m=Decimal("700"),
                                                   name="Child Group")  # fmt: skip
    html, _n = _get(client, parent)
    assert "1,700" in html and "Child Group" in html


def test_new_exchange_rates_make_the_situation_anew(client, cast):
    account = AccountFactory(owner=cast.kam, currency="EUR")
    OrderLineFactory(account=account, net_amount=Decimal("100.00"), currency="USD",
                     ordered_on=timezone.localdate() - timedelta(days=3))  # fmt: skip
    ExchangeRate.objects.update_or_create(currency="USD",
                                          defaults={"rate_to_base": Decimal("0.5")})  # fmt: skip
    client.force_login(cast.kam)
    assert _revenue(_get(client, account)[0]) == "50.00"
    ExchangeRate.objects.filter(currency="USD").update(rate_to_base=Decimal("0.9"))
    assert _revenue(_get(client, account)[0]) == "90.00"


def test_a_task_done_elsewhere_leaves_the_section_at_once(client, cast):
    account = AccountFactory(owner=cast.kam)
    task = TaskFactory(account=account, assignee=cast.kam, title="Call the CFO")
    client.force_login(cast.kam)
    assert "Call the CFO" in account_360(client, account)
    # done through the task list, not the 360: the version still moves
    task.done_at = timezone.now()
    task.save()
    assert "Call the CFO" not in account_360(client, account)


def test_the_account_table_is_kept_until_an_account_changes_or_a_task_falls_due(
    client, cast, time_machine
):
    from django.urls import reverse

    from accounts.models import Task

    time_machine.move_to(timezone.now(), tick=False)
    account = AccountFactory(owner=cast.kam, name="Acme Tasks")
    task = TaskFactory(account=account, assignee=cast.kam,
                       due_at=timezone.now() + timedelta(hours=1))  # fmt: skip
    client.force_login(cast.kam)
    url = reverse("accounts:list")

    def row():
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        cells = html.split("Acme Tasks")[1].split("</tr>")[0]
        return cells, len(ctx.captured_queries)

    cells, cold = row()
    assert "text-bg-secondary" in cells and "text-bg-danger" not in cells
    cells, warm = row()
    assert warm < cold  # the rows came from the cache
    # an hour and a half later the task is overdue: no write, yet the row says so
    time_machine.move_to(timezone.now() + timedelta(minutes=90), tick=False)
    cells, _n = row()
    assert "text-bg-danger" in cells
    # done in bulk SQL: the version moves, the row shows no open task
    Task.objects.filter(pk=task.pk).update(done_at=timezone.now())
    cells, _n = row()
    assert '<span class="text-body-secondary">0</span>' in cells
