from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.models import Account, PortfolioConfig
from accounts.selectors import order_situation
from accounts.services.portfolio import abc_tiers, portfolio_recompute
from catalog.models import ExchangeRate
from tests.factories import (
    AccountFactory,
    FamilyFactory,
    OrderLineFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


def test_abc_tiers_by_hand():
    # total 1000: 500 (0 % before) A, 300 (50 %) A, 100 (80 %) B, 60 (90 %) B,
    # 30 (96 %) C, 10 (99 %) C, 0 → C
    revenues = {1: Decimal(500), 2: Decimal(300), 3: Decimal(100), 4: Decimal(60),
                5: Decimal(30), 6: Decimal(10), 7: Decimal(0)}  # fmt: skip
    tiers = abc_tiers(revenues, a_share=80, b_share=95)
    assert tiers == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C", 6: "C", 7: "C"}
    assert abc_tiers({1: Decimal(0)}, a_share=80, b_share=95) == {1: "C"}


def test_thresholds_are_configurable():
    revenues = {1: Decimal(500), 2: Decimal(300), 3: Decimal(200)}
    assert abc_tiers(revenues, a_share=50, b_share=60) == {1: "A", 2: "B", 3: "C"}


def test_recompute_converts_currencies_and_windows(cast):
    ExchangeRate.objects.create(currency="CHF", rate_to_base=Decimal("1.10"))
    PortfolioConfig.objects.create(pk=1, a_share=80, b_share=95)
    big = AccountFactory(owner=cast.kam)
    swiss = AccountFactory(owner=cast.kam, currency="CHF")
    small = AccountFactory(owner=cast.kam2)
    # inside the last 12 months (2025-11-24 .. 2026-11-23)
    OrderLineFactory(
        account=big, net_amount=Decimal("800.00"), ordered_on=date(2026, 1, 10)
    )
    OrderLineFactory(
        account=big, net_amount=Decimal("100.00"), ordered_on=date(2025, 11, 24)
    )
    OrderLineFactory(
        account=swiss,
        net_amount=Decimal("100.00"),
        currency="CHF",
        ordered_on=date(2026, 5, 1),
    )
    # the 12 months before
    OrderLineFactory(
        account=big, net_amount=Decimal("450.00"), ordered_on=date(2025, 11, 23)
    )
    # older: ignored
    OrderLineFactory(
        account=small, net_amount=Decimal("999.00"), ordered_on=date(2024, 1, 1)
    )
    counts = portfolio_recompute(today=TODAY)
    big.refresh_from_db()
    swiss.refresh_from_db()
    small.refresh_from_db()
    assert big.revenue_12m == Decimal("900.00")
    assert big.revenue_prev_12m == Decimal("450.00")
    assert big.revenue_trend == Decimal("100.0")
    assert swiss.revenue_12m == Decimal("110.00")  # 100 CHF × 1.10
    assert small.revenue_12m == Decimal("0.00")
    # 900 of 1010 = 0 % before → A; swiss starts at 89.1 % → B; small → C
    assert (big.tier, swiss.tier, small.tier) == ("A", "B", "C")
    assert counts == {"accounts": 3, "A": 1, "B": 1, "C": 1}
    assert set(big.score_inputs) == {"attractiveness", "position"}
    assert big.portfolio_computed_at is not None
    # running it again changes nothing
    portfolio_recompute(today=TODAY)
    assert Account.objects.get(pk=big.pk).revenue_12m == Decimal("900.00")


def test_order_situation_by_hand(cast):
    account = AccountFactory(owner=cast.kam)
    print_family = FamilyFactory(code="print", name="Print")
    digital = FamilyFactory(code="digital", name="Digital")
    paper = ProductFactory(family=print_family)
    app = ProductFactory(family=digital)
    OrderLineFactory(
        account=account, product=paper, net_amount=Decimal("300"), ordered_on=TODAY
    )
    OrderLineFactory(
        account=account,
        product=app,
        net_amount=Decimal("200"),
        ordered_on=TODAY - timedelta(days=40),
    )
    OrderLineFactory(
        account=account,
        product=app,
        net_amount=Decimal("250"),
        ordered_on=date(2025, 3, 3),
    )
    situation = order_situation(account=account, today=TODAY)
    assert situation.revenue_12m == Decimal("500.00")
    assert situation.revenue_prev_12m == Decimal("250.00")
    assert situation.trend_percent == Decimal("100.0")
    assert situation.by_family == [
        ("Print", Decimal("300.00")),
        ("Digital", Decimal("200.00")),
    ]
    assert len(situation.months) == 24
    assert situation.months[0] == date(2024, 12, 1)
    assert situation.monthly[-1] == Decimal("300.00")  # November 2026
    assert situation.monthly[-2] == Decimal("200.00")  # October 2026
    assert situation.monthly[3] == Decimal("250.00")  # March 2025
    assert sum(situation.monthly) == Decimal("750.00")
