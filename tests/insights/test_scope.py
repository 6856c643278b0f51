"""A report's selection: every account needs no condition, any other one does."""

import pytest
from django.db.models import Q

from insights.filters import report_scope
from insights.models import NpsResponse
from tests.insights.test_upsell import _Request

pytestmark = pytest.mark.django_db


def test_every_account_needs_no_condition(cast):
    scope = report_scope(_Request(cast.admin))
    assert scope.is_everything
    assert scope.of_accounts() == Q()


@pytest.mark.parametrize("who", ["kam", "manager", "manager2"])
def test_a_restricted_selection_filters(cast, who):
    scope = report_scope(_Request(getattr(cast, who)))
    assert not scope.is_everything
    assert scope.of_accounts() != Q()


def test_team_filter_of_an_administrator_filters(segment, cast):
    team = cast.kam.team
    scope = report_scope(_Request(cast.admin, {"team": str(team.pk)}))
    assert not scope.is_everything
    answered = NpsResponse.objects.filter(scope.of_accounts())
    assert str(answered.query).count("accounts_account") >= 1
    assert {a.owner.team_id for a in scope.accounts} == {team.pk}
