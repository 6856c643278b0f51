"""A report's selection: every account needs no condition, any other one does, and
the condition it gives keeps exactly the accounts of the selection."""

import pytest
from django.db.models import Q

from accounts.models import Contact
from insights.filters import report_scope

pytestmark = pytest.mark.django_db

# tests/insights/conftest.py's segment: one account per name, one contact each
NORTH = {"Alpha Verlag", "Beta Medien", "Delta News", "Epsilon Books"}  # kam, kam2
SOUTH = {"Gamma Press"}  # kam3


def _accounts_kept(scope) -> set[str]:
    """The accounts whose contacts the scope's condition keeps."""
    kept = Contact.objects.filter(scope.of_accounts())
    return set(kept.values_list("account__name", flat=True))


def test_every_account_needs_no_condition(segment, cast):
    scope = report_scope(user=cast.admin)
    assert scope.is_everything
    assert scope.of_accounts() == Q()
    assert _accounts_kept(scope) == NORTH | SOUTH


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("kam", {"Alpha Verlag", "Delta News"}),  # their own accounts only
        ("kam3", SOUTH),
        ("manager", NORTH),  # the team's accounts
        ("manager2", SOUTH),
    ],
)
def test_a_restricted_selection_keeps_only_its_accounts(segment, cast, who, expected):
    scope = report_scope(user=getattr(cast, who))
    assert not scope.is_everything
    assert _accounts_kept(scope) == expected
    # through another relation's path too (the path is the caller's to name)
    names = Contact.objects.filter(scope.of_accounts("account")).values_list(
        "account__name", flat=True
    )
    assert set(names) == expected


def test_team_filter_of_an_administrator_filters(segment, cast):
    team = cast.kam.team
    scope = report_scope(user=cast.admin, params={"team": str(team.pk)})
    assert not scope.is_everything
    assert _accounts_kept(scope) == NORTH
    assert {a.owner.team_id for a in scope.accounts} == {team.pk}
    south = report_scope(user=cast.admin, params={"team": str(cast.kam3.team.pk)})
    assert _accounts_kept(south) == SOUTH
