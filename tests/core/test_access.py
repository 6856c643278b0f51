"""The one access rule: owner, deputy, the owner's team manager, or a see-all role."""

import pytest
from django.http import Http404
from django.urls import reverse

from accounts.models import Account
from core.access import can_see, get_visible_or_404, visible_to
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

# who -> does that user see the account owned by kam with deputy kam2?
EXPECTED = {
    "kam": True,  # owner
    "kam2": True,  # deputy
    "manager": True,  # leads the owner's team
    "cs": True,  # sees everything
    "admin": True,  # sees everything
    "kam3": False,  # another team's KAM
    "manager2": False,  # manages another team
    "norole": False,
}


@pytest.fixture
def account(cast):
    return AccountFactory(name="Nordlicht Media GmbH", owner=cast.kam, deputy=cast.kam2)


@pytest.mark.parametrize(("who", "sees"), EXPECTED.items())
def test_access_rule_in_selectors(cast, account, who, sees):
    # given
    user = getattr(cast, who)
    # when
    visible = visible_to(Account.objects.all(), user)
    # then
    assert (account in visible) is sees
    assert can_see(user, account) is sees
    if sees:
        assert get_visible_or_404(Account.objects.all(), user, pk=account.pk) == account
    else:
        with pytest.raises(Http404):
            get_visible_or_404(Account.objects.all(), user, pk=account.pk)


@pytest.mark.parametrize(("who", "sees"), EXPECTED.items())
def test_access_rule_in_pages(client, cast, account, who, sees):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == (200 if sees else 404)
    listing = client.get(reverse("accounts:list"))
    assert (account.name in listing.content.decode()) is sees


@pytest.mark.parametrize(("who", "sees"), EXPECTED.items())
def test_access_rule_in_api(client, cast, account, who, sees):
    client.force_login(getattr(cast, who))
    detail = client.get(f"/api/v1/accounts/{account.pk}/")
    assert detail.status_code == (200 if sees else 404)
    names = [row["name"] for row in client.get("/api/v1/accounts/").json()["results"]]
    assert (account.name in names) is sees


def test_inactive_user_sees_nothing(cast, account):
    cast.kam.is_active = False
    cast.kam.save()
    cast.kam.__dict__.pop("role_names", None)
    assert not visible_to(Account.objects.all(), cast.kam).exists()


def test_anonymous_is_sent_to_login(client, account):
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_model_without_access_paths_is_refused(cast):
    from core.models import Team

    with pytest.raises(TypeError, match="declares no"):
        visible_to(Team.objects.all(), cast.kam)


def test_an_object_fetched_for_a_user_is_not_checked_again(
    cast, account, django_assert_num_queries
):
    fetched = get_visible_or_404(Account.objects.all(), cast.kam, pk=account.pk)
    with django_assert_num_queries(0):
        assert can_see(cast.kam, fetched)
    # for anybody else the rule is asked as ever
    assert not can_see(cast.kam3, fetched)
    assert can_see(cast.manager, fetched)
