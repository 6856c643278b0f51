from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from core.exceptions import ApplicationError
from insights.filters import report_scope
from insights.models import ChurnTarget
from insights.selectors import retention as sel
from insights.services.targets import churn_target_set
from renewals.models import Churn
from tests.clock import noon
from tests.factories import AccountFactory, FamilyFactory, ProductFactory
from tests.insights.helpers import contract, subscribe

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _on_today(time_machine, settings):
    """The figures below are worked out by hand for TODAY (churn targets can be set
    for last, this and next year only): each test runs on that day, whatever day the
    suite runs on."""
    time_machine.move_to(noon(TODAY, settings.TIME_ZONE), tick=True)


ENDED = Contract.Status.ENDED


def scope_for(user, start="2025-11-24", end="2026-11-23", **params):
    return report_scope(user=user, params={"start": start, "end": end, **params})


@pytest.fixture
def book(cast):
    """A: 1,000 → 1,200 (expansion); B: 2,000 → lost; C: 3,000 → 2,500 (downgrade);
    D: new 500. E: lost last year (1,000). All in the North team (manager)."""
    product = ProductFactory(code="RET", family=FamilyFactory(code="ret"))
    a, b, c, d, e = (
        AccountFactory(name=n, owner=cast.kam) for n in ("A", "B", "C", "D", "E")
    )
    contract(a, start=date(2025, 1, 1), end=date(2025, 12, 31), status=ENDED, arr=1000)
    a2 = contract(a, start=date(2026, 1, 1), end=date(2026, 12, 31), arr=1200)
    subscribe(a, product, mrr="100", on=a2)
    contract(b, start=date(2025, 6, 1), end=date(2026, 5, 31), status=ENDED, arr=2000)
    contract(c, start=date(2025, 1, 1), end=date(2025, 12, 31), status=ENDED, arr=3000)
    c2 = contract(
        c, start=date(2026, 1, 1), end=date(2026, 12, 31), arr=2500, auto_renew=False
    )
    subscribe(c, product, mrr="50", on=c2)
    d1 = contract(d, start=date(2026, 3, 1), end=date(2027, 2, 28), arr=500)
    subscribe(d, product, mrr="40", on=d1)
    Churn.objects.create(
        account=b, lost_on=date(2026, 6, 1), lost_arr=2000, currency="EUR",
        reason="price",
    )  # fmt: skip
    Churn.objects.create(
        account=e, lost_on=date(2025, 3, 10), lost_arr=1000, currency="EUR",
        reason="competitor",
    )  # fmt: skip
    # another team's loss never shows for the North manager
    other = AccountFactory(name="South lost", owner=cast.kam3)
    Churn.objects.create(
        account=other, lost_on=date(2026, 2, 1), lost_arr=9999, currency="EUR"
    )
    return {"a": a, "b": b, "c": c, "d": d}


def test_grr_nrr_and_logo_churn_by_hand(book, cast):
    result = sel.retention(scope_for(cast.manager))
    assert result["start_arr"] == Decimal("6000.00")
    assert result["kept_arr"] == Decimal("3500.00")  # 1,000 + 0 + 2,500
    assert result["net_arr"] == Decimal("3700.00")  # 1,200 + 0 + 2,500
    assert result["new_arr"] == Decimal("500.00")
    assert result["grr"] == Decimal("58.3")
    assert result["nrr"] == Decimal("61.7")
    assert (result["customers"], result["logos_lost"]) == (3, 1)
    assert result["logo_churn"] == Decimal("33.3")


def test_forecast_by_month_auto_and_manual(book, cast):
    rows = sel.renewal_forecast(scope_for(cast.manager), today=TODAY)
    assert [r["month"] for r in rows][:4] == [
        date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)
    ]  # fmt: skip
    december, february = rows[1], rows[3]
    assert (december["auto"], december["manual"], december["contracts"]) == (
        Decimal("1200.00"), Decimal("600.00"), 2,
    )  # fmt: skip
    assert (february["auto"], february["manual"]) == (Decimal("480.00"), Decimal(0))
    assert len(rows) == 12 and sum(r["contracts"] for r in rows) == 3


def test_churn_reasons_and_trend_against_target(book, cast):
    scope = scope_for(cast.manager)
    reasons = sel.churn_reasons(sel.churn_groups(scope, scope.start, scope.end))
    assert [(r["reason"], r["count"], r["arr"]) for r in reasons] == [
        ("price", 1, Decimal("2000.00"))
    ]
    churn_target_set(
        actor=cast.manager, year=2026, team=cast.kam.team, reduction_percent=Decimal(25)
    )
    trend = sel.churn_trend(scope_for(cast.manager, team=cast.kam.team.pk), year=2026,
                            today=TODAY)  # fmt: skip
    assert trend["last_year"][1] == 0 and trend["last_year"][2] == Decimal("1000.00")
    assert trend["target_line"][11] == Decimal("750.00")  # 1,000 × (1 − 25 %)
    assert len(trend["this_year"]) == 11  # up to November
    assert trend["this_ytd"] == Decimal("2000.00")
    assert trend["target_ytd"] == Decimal("750.00")
    assert trend["on_track"] is False


def test_churn_target_rules(cast):
    north, south = cast.kam.team, cast.kam3.team
    target = churn_target_set(
        actor=cast.manager,
        year=timezone.localdate().year,
        team=north,
        reduction_percent=Decimal(20),
    )
    again = churn_target_set(
        actor=cast.manager,
        year=timezone.localdate().year,
        team=north,
        reduction_percent=Decimal(25),
    )
    assert again.pk == target.pk and again.reduction_percent == Decimal(25)
    assert ChurnTarget.objects.count() == 1
    company = churn_target_set(
        actor=cast.admin,
        year=timezone.localdate().year,
        team=None,
        reduction_percent=Decimal(25),
    )
    assert company.team is None and ChurnTarget.objects.count() == 2
    for actor, team, pct, message in [
        (cast.manager, south, 25, "team you manage"),
        (cast.manager, None, 25, "team you manage"),
        (cast.kam, north, 25, "Only sales managers"),
        (cast.manager, north, 0, "above 0"),
        (cast.manager, north, 101, "at most 100"),
    ]:
        with pytest.raises(ApplicationError, match=message):
            churn_target_set(
                actor=actor,
                year=timezone.localdate().year,
                team=team,
                reduction_percent=Decimal(pct),
            )
    assert ChurnTarget.objects.count() == 2
    assert ChurnTarget.objects.get(team=north).reduction_percent == Decimal(25)


def test_page_and_target_form(client, book, cast):
    client.force_login(cast.manager)
    response = client.post(
        reverse("insights:churn-target"),
        {
            "year": timezone.localdate().year,
            "team": cast.kam.team.pk,
            "reduction_percent": "25",
        },
    )
    assert response.status_code == 302
    page = client.get(response.url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "South lost" not in body
    assert 'data-testid="target-text"' in body
    # bad input: nothing saved, the message shown
    bad = client.post(
        reverse("insights:churn-target"),
        {
            "year": timezone.localdate().year,
            "team": cast.kam3.team.pk,
            "reduction_percent": "25",
        },
        follow=True,
    )
    assert "Select a valid choice" in bad.content.decode()
    assert ChurnTarget.objects.count() == 1
    client.force_login(cast.kam)
    assert client.post(reverse("insights:churn-target"), {}).status_code == 403
    assert client.get(reverse("insights:retention")).status_code == 200
