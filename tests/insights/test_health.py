from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, TimelineEntry
from contracts.models import Invoice
from core.exceptions import ApplicationError
from insights.models import HealthConfig, HealthScore
from insights.selectors.health import (
    combine,
    early_warnings,
    factor_scores,
    health_scores,
)
from insights.services.health import health_recompute
from planning.models import FeedbackItem, NpsResponse
from planning.services import voice
from tests.conftest import account_360
from tests.factories import AccountFactory, ContactFactory
from tests.insights.helpers import contract

pytestmark = pytest.mark.django_db


def test_factor_scores_by_hand():
    raw = {
        "revenue_trend": Decimal("-20.0"), "nps": 20, "days_since_touch": 60,
        "overdue": 1, "escalations": 0, "running": True, "standing_order": False,
        "days_to_end": 45, "contacts": 2,
    }  # fmt: skip
    scores = factor_scores(raw, cadence_days=30)
    assert scores == {
        "revenue_trend": 30,  # 50 − 20
        "nps": 60,  # (20 + 100) / 2
        "last_touch": 50,  # halfway between 30 and 90 days
        "overdue": 50,
        "escalations": 100,
        "contract_end": 50,  # ends within 90 days, no standing order
        "contacts": 70,
    }
    weights = HealthConfig().weights()  # 20 15 15 15 10 15 10 = 100
    score, factors = combine(scores, weights)
    # 20×30 + 15×60 + 15×50 + 15×50 + 10×100 + 15×50 + 10×70 = 5,450 → 54.5
    assert score == 54  # rounded half to even
    assert factors["revenue_trend"]["points"] == 6.0
    assert factors["escalations"]["points"] == 10.0
    assert sum(f["points"] for f in factors.values()) == pytest.approx(54.5)


def test_scores_from_the_database(cast):
    today = timezone.localdate()
    account = AccountFactory(owner=cast.kam, tier="A", revenue_12m=Decimal("800"),
                             revenue_prev_12m=Decimal("1000"))  # fmt: skip
    contact = ContactFactory(account=account)
    voice.nps_record(actor=cast.kam, account=account, score=10, contact=contact)
    voice.nps_record(actor=cast.kam, account=account, score=3)
    voice.feedback_create(actor=cast.kam, account=account, kind="escalation",
                          title="Outage")  # fmt: skip
    contract(account, start=today - timedelta(days=300),
             end=today + timedelta(days=20), auto_renew=False)  # fmt: skip
    score, factors = health_scores([account.pk], today=today)[account.pk]
    assert factors["revenue_trend"]["score"] == 30  # −20 %
    assert factors["nps"]["value"] == 0 and factors["nps"]["score"] == 50
    assert factors["escalations"]["score"] == 40
    assert factors["contract_end"]["score"] == 20
    assert (
        factors["last_touch"]["score"] == 0 and factors["last_touch"]["cadence"] == 14
    )
    assert factors["overdue"]["score"] == 100
    # 20×30 + 15×50 + 0 + 15×100 + 10×40 + 15×20 + 0 = 3,550 → 35.5
    assert score == 36
    assert TimelineEntry.objects.filter(account=account).count() == 3


def test_nightly_scores_and_early_warning(cast):
    today = timezone.localdate()
    # scored accounts: a revenue trend and a recorded touch (MIN_EVIDENCE)
    data = {"revenue_12m": Decimal("900"), "revenue_prev_12m": Decimal("1000"),
            "last_touch_at": timezone.now()}  # fmt: skip
    key = AccountFactory(owner=cast.kam, is_key_account=True, name="Falling", **data)
    steady = AccountFactory(owner=cast.kam, is_key_account=True, name="Steady", **data)
    assert health_recompute(today=today) >= 2
    assert health_recompute(today=today) >= 2  # a rerun replaces the day's rows
    assert HealthScore.objects.filter(account=key).count() == 1
    now = HealthScore.objects.get(account=key).score
    HealthScore.objects.create(account=key, computed_on=today - timedelta(days=40),
                               score=now + 15)  # fmt: skip
    HealthScore.objects.create(
        account=steady,
        computed_on=today - timedelta(days=40),
        score=HealthScore.objects.get(account=steady).score + 5,
    )
    from insights.filters import report_scope

    fallen = early_warnings(report_scope(user=cast.manager).accounts, today=today)
    assert [a.name for a in fallen] == ["Falling"]
    assert fallen[0].change == -15
    # another team sees nothing of it
    assert early_warnings(report_scope(user=cast.manager2).accounts, today=today) == []


def test_voice_rules_change_nothing_on_bad_input(cast):
    account = AccountFactory(owner=cast.kam)
    foreign_contact = ContactFactory(account=AccountFactory(owner=cast.kam))
    with pytest.raises(ApplicationError, match="0 to 10"):
        voice.nps_record(actor=cast.kam, account=account, score=11)
    with pytest.raises(ApplicationError, match="another account"):
        voice.nps_record(actor=cast.kam, account=account, score=5,
                         contact=foreign_contact)  # fmt: skip
    with pytest.raises(ApplicationError, match="future"):
        voice.nps_record(actor=cast.kam, account=account, score=5,
                         answered_on=date.today() + timedelta(days=3))  # fmt: skip
    with pytest.raises(ApplicationError, match="cannot change"):
        voice.nps_record(actor=cast.kam3, account=account, score=5)
    with pytest.raises(ApplicationError, match="title"):
        voice.feedback_create(actor=cast.kam, account=account, kind="cab", title=" ")
    assert not NpsResponse.objects.exists() and not FeedbackItem.objects.exists()
    assert not TimelineEntry.objects.filter(account=account).exists()


def test_account_page_forms_and_health_report(client, cast):
    account = AccountFactory(owner=cast.kam, is_key_account=True, name="Voice Co")
    client.force_login(cast.kam)
    page = account_360(client, account)
    assert 'data-testid="health-score"' in page and "No NPS answers yet." in page
    response = client.post(
        reverse("planning:nps-create", args=[account.pk]),
        {"nps-score": "9", "nps-answered_on": timezone.localdate().isoformat(),
         "nps-comment": "Great support"},
    )  # fmt: skip
    assert response.status_code == 302
    assert NpsResponse.objects.get(account=account).score == 9
    # the cached health section is made anew at once: the answer raised the version
    assert "Great support" in account_360(client, account)
    bad = client.post(reverse("planning:nps-create", args=[account.pk]),
                      {"nps-score": "12"}, follow=True)  # fmt: skip
    assert "Select a valid choice" in bad.content.decode()
    assert NpsResponse.objects.count() == 1
    client.post(
        reverse("planning:feedback-create", args=[account.pk]),
        {"fb-kind": "escalation", "fb-title": "Slow invoices",
         "fb-raised_on": timezone.localdate().isoformat()},
    )  # fmt: skip
    item = FeedbackItem.objects.get()
    client.post(reverse("planning:feedback-status", args=[item.pk]), {"status": "done"})
    item.refresh_from_db()
    assert item.status == "done"
    # a KAM of another team can neither see nor change it
    client.force_login(cast.kam3)
    assert client.post(reverse("planning:feedback-status", args=[item.pk]),
                       {"status": "open"}).status_code == 404  # fmt: skip
    assert client.post(reverse("planning:nps-create", args=[account.pk]),
                       {"nps-score": "1"}).status_code == 404  # fmt: skip
    client.force_login(cast.manager)
    health_recompute()
    report = client.get(reverse("insights:health"))
    assert "Voice Co" in report.content.decode()
    assert 'data-testid="nps-teams"' in report.content.decode()
    assert Invoice.objects.count() == 0


def test_score_bands_and_weakest_first_by_hand(client, cast):
    today = timezone.localdate()
    # given five key accounts scored 10, 39, 40, 85 and 100, one unscored, one
    # account that is not a key account, and an older, higher score of the first
    scores = {"K10": 10, "K39": 39, "K40": 40, "K85": 85, "K100": 100}
    for name, score in scores.items():
        account = AccountFactory(owner=cast.kam, is_key_account=True, name=name)
        HealthScore.objects.create(account=account, computed_on=today, score=score)
        if score == 10:
            HealthScore.objects.create(
                account=account, computed_on=today - timedelta(days=3), score=90
            )
    AccountFactory(owner=cast.kam, is_key_account=True, name="Unscored")
    other = AccountFactory(owner=cast.kam, name="Not key")
    HealthScore.objects.create(account=other, computed_on=today, score=50)
    client.force_login(cast.manager)
    response = client.get(reverse("insights:health"))
    # then the bands count the latest scores of key accounts only
    chart = response.context["band_chart"]
    assert chart["labels"] == ["0–39", "40–59", "60–79", "80–100"]
    assert chart["datasets"][0]["data"] == [2, 1, 0, 2]
    assert response.context["latest_count"] == 6
    listed = [(a.name, a.score) for a in response.context["latest"]]
    assert listed == [("K10", 10), ("K39", 39), ("K40", 40), ("K85", 85),
                      ("K100", 100), ("Unscored", None)]  # fmt: skip


def test_a_new_account_has_not_enough_data_for_a_score(cast, client):
    # the defect: a new account showed 42 in red, from nothing but defaults
    account = AccountFactory(owner=cast.kam, revenue_prev_12m=Decimal("0"))
    score, factors = health_scores([account.pk], today=timezone.localdate())[account.pk]
    assert score is None and factors["nps"]["answers"] == 0
    assert health_recompute(today=timezone.localdate()) == 0
    assert not HealthScore.objects.filter(account=account).exists()
    client.force_login(cast.kam)
    html = account_360(client, account)
    assert "not enough data" in html and "text-bg-danger" not in html
    # with a running contract and a recorded touch it is scored
    contract(account, start=timezone.localdate() - timedelta(days=30),
             end=timezone.localdate() + timedelta(days=300), auto_renew=True)  # fmt: skip
    Account.objects.filter(pk=account.pk).update(last_touch_at=timezone.now())
    score, _f = health_scores([account.pk], today=timezone.localdate())[account.pk]
    assert isinstance(score, int)
