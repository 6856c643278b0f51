from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Contract
from insights.filters import report_scope
from insights.selectors.retention import lost_customers_by_year
from renewals.models import Churn
from tests.factories import AccountFactory
from tests.insights.helpers import contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(cast):
    """4 customers on 1 Jan 2025, one lost in 2025 (won back); 2 customers on
    1 Jan 2026, one lost in 2026."""
    names = ["P", "Q", "R", "S"]
    accounts = {n: AccountFactory(name=n, owner=cast.kam) for n in names}
    for n in names:
        contract(accounts[n], start=date(2024, 6, 1), end=date(2025, 5, 31),
                 status=Contract.Status.ENDED, arr=1000)  # fmt: skip
    for n in ("P", "Q"):
        contract(accounts[n], start=date(2025, 6, 1), end=date(2026, 5, 31), arr=1000)
    Churn.objects.create(
        account=accounts["R"], lost_on=date(2025, 6, 1), lost_arr=1000,
        currency="EUR", reason="price", won_back_on=date(2025, 9, 1),
    )  # fmt: skip
    Churn.objects.create(
        account=accounts["Q"], lost_on=date(2026, 6, 1), lost_arr=2500,
        currency="EUR", reason="competitor",
    )  # fmt: skip
    return accounts


def test_loss_and_winback_rates_by_hand(history, cast):
    scope = report_scope(
        user=cast.manager, params={"start": "2024-01-01", "end": "2026-11-23"}
    )
    rows = {r["year"]: r for r in lost_customers_by_year(scope, last_year=2026)}
    assert sorted(rows) == [2024, 2025, 2026]
    assert (rows[2024]["customers"], rows[2024]["lost"]) == (0, 0)
    assert rows[2025]["customers"] == 4 and rows[2025]["lost"] == 1
    assert rows[2025]["loss_rate"] == Decimal("25.0")
    assert rows[2025]["winback_rate"] == Decimal("100.0")
    assert rows[2026]["customers"] == 2 and rows[2026]["lost_arr"] == Decimal("2500.00")
    assert rows[2026]["loss_rate"] == Decimal("50.0")


def test_portfolio_page_exports_and_scope(client, history, cast):
    client.force_login(cast.manager)
    page = client.get(reverse("insights:portfolio"), {"start": "2024-01-01",
                                                      "end": "2026-11-23"})  # fmt: skip
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="winback-rate"' in body and "50.0 %" in body  # 1 of 2
    csv = client.get(reverse("insights:portfolio"), {"format": "csv", "table": "2",
                     "start": "2024-01-01", "end": "2026-11-23"})  # fmt: skip
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and lines[1].startswith("Q,")
    client.force_login(cast.kam3)
    assert (
        "Q,"
        not in client.get(
            reverse("insights:portfolio"), {"format": "csv", "table": "2"}
        ).content.decode()
    )
