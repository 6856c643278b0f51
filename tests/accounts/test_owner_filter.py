"""The account list's owner filter offers whom the user may choose among: herself
for a key account manager, her teams' for a sales manager, every key account
manager for those who see everything; another choice is refused with a message."""

import re

import pytest
from django.urls import reverse

from tests.factories import AccountFactory


def _offered(client) -> list[str]:
    html = client.get(reverse("accounts:list")).content.decode()
    select = re.search(r'<select[^>]* name="owner".*?</select>', html, re.S).group(0)
    return re.findall(r"<option value=\"(\d*)\"[^>]*>([^<]*)</option>", select)


@pytest.mark.parametrize(
    "who, offered",
    [
        ("kam", ["kam"]),
        ("manager", ["kam", "kam2"]),  # her team North
        ("cs", ["kam", "kam2", "kam3"]),
    ],
)
def test_the_owner_filter_offers_whom_the_user_may_choose(client, cast, who, offered):
    client.force_login(getattr(cast, who))
    choices = _offered(client)
    assert choices[0] == ("", "Anyone")
    assert sorted(label for _pk, label in choices[1:]) == sorted(
        str(getattr(cast, name)) for name in offered
    )
    assert {int(pk) for pk, _label in choices[1:]} == {
        getattr(cast, name).pk for name in offered
    }


def test_a_kam_filters_by_herself_and_is_told_when_she_names_another(client, cast):
    AccountFactory(owner=cast.kam, name="Mine Ltd")
    AccountFactory(owner=cast.kam2, name="Deputised Ltd", deputy=cast.kam)
    client.force_login(cast.kam)
    mine = client.get(reverse("accounts:list"), {"owner": cast.kam.pk})
    assert "Mine Ltd" in mine.content.decode()
    assert "Deputised Ltd" not in mine.content.decode()
    other = client.get(reverse("accounts:list"), {"owner": cast.kam2.pk})
    text = other.content.decode()
    assert "Key account manager: Select a valid choice" in text
    # the filter is left out, not turned into someone else's accounts
    assert "Mine Ltd" in text and "Deputised Ltd" in text


def test_a_user_without_the_kam_role_is_offered_no_one(client, cast):
    client.force_login(cast.norole)
    assert _offered(client) == [("", "Anyone")]
