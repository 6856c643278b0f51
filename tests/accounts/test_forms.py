import pytest
from django.urls import reverse

from accounts.models import Contact
from tests.conftest import account_360
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_account_edit_shows_vat_error_and_saves_nothing(client, cast):
    account = AccountFactory(owner=cast.kam, name="Nordlicht", country="DE")
    client.force_login(cast.kam)
    url = reverse("accounts:edit", args=[account.pk])
    form = client.get(url).context["form"]
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k != "key_account_criteria"
    }
    data |= {"name": "Nordlicht Media", "vat_id": "DE123456789", "country": "DE"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "not a valid VAT id" in response.content.decode()
    account.refresh_from_db()
    assert account.name == "Nordlicht"
    data["vat_id"] = "DE136695976"
    data["key_account_criteria"] = ["revenue", "growth"]
    response = client.post(url, data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.vat_id) == ("Nordlicht Media", "DE136695976")
    assert account.key_account_criteria == ["revenue", "growth"]


def test_contact_form_validates_and_creates(client, cast):
    account = AccountFactory(owner=cast.kam)
    boss = ContactFactory(account=account)
    client.force_login(cast.kam)
    url = reverse("accounts:contact-create", args=[account.pk])
    bad = client.post(url, {"last_name": "", "email": "nope", "influence": 9,
                            "relationship_strength": 3, "role": "it", "attitude": "neutral"})  # fmt: skip
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert {"last_name", "email", "influence"} <= set(errors)
    assert account.contacts.count() == 1
    ok = client.post(url, {"first_name": "Jan", "last_name": "Hartmann", "email": "jan@x.example",
                           "influence": 4, "relationship_strength": 3, "role": "it",
                           "attitude": "critic", "reports_to": boss.pk})  # fmt: skip
    assert ok.status_code == 302
    assert Contact.objects.get(last_name="Hartmann").reports_to == boss


def test_reports_to_offers_only_this_accounts_contacts(client, cast):
    account = AccountFactory(owner=cast.kam)
    own = ContactFactory(account=account)
    stranger = ContactFactory()
    client.force_login(cast.kam)
    response = client.post(
        reverse("accounts:contact-create", args=[account.pk]),
        {"last_name": "X", "influence": 3, "relationship_strength": 3, "role": "user",
         "attitude": "neutral", "reports_to": stranger.pk},
    )  # fmt: skip
    assert "reports_to" in response.context["form"].errors
    assert list(response.context["form"].fields["reports_to"].queryset) == [own]


def test_touchpoint_form_errors_show_as_messages(client, cast):
    account = AccountFactory(owner=cast.kam)
    client.force_login(cast.kam)
    response = client.post(
        reverse("accounts:touchpoint-create", args=[account.pk]),
        {"channel": "call", "subject": "", "occurred_at": "2999-01-01T10:00"},
        follow=True,
    )
    assert "This field is required." in response.content.decode()
    assert not account.touchpoints.exists()


@pytest.mark.parametrize(
    ("name", "posts_to", "field"),
    [
        ("accounts:touchpoint-form", "accounts:touchpoint-create", "id_channel"),
        ("accounts:email-form", "accounts:email-send", "id_subject"),
        ("accounts:task-form", "accounts:task-create", "id_assignee"),
        ("accounts:document-form", "accounts:document-upload", "id_file"),
        # the health panel's (insights) forms take the same way
        ("planning:nps-form", "planning:nps-create", "id_nps-score"),
        ("planning:feedback-form", "planning:feedback-create", "id_fb-kind"),
    ],
)
def test_the_360s_folded_forms_load_when_opened(client, cast, name, posts_to, field):
    account = AccountFactory(owner=cast.kam)
    ContactFactory(account=account, email="buyer@customer.example")
    client.force_login(cast.kam)
    url = reverse(name, args=[account.pk])
    # the 360 carries only the link that fetches the form when the fold opens
    page = account_360(client, account)
    assert f'hx-get="{url}" hx-trigger="toggle once"' in page
    assert f'id="{field}"' not in page
    # opened (htmx): the form alone, posting where it always did
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<form")
    assert f'action="{reverse(posts_to, args=[account.pk])}"' in fragment
    assert ('enctype="multipart/form-data"' in fragment) == (field == "id_file")
    assert f'id="{field}"' in fragment and "csrfmiddlewaretoken" in fragment
    # without script: a page of its own
    full = client.get(url).content.decode()
    assert "<html" in full and f'id="{field}"' in full and account.name in full
    # customer services read the account but do not write on it
    client.force_login(cast.cs)
    assert client.get(url).status_code == 403


def test_a_filter_value_that_is_not_valid_is_said_and_left_out(client, cast):
    AccountFactory(owner=cast.kam, name="Alpha", tier="A")
    AccountFactory(owner=cast.kam, name="Beta", tier="B")
    client.force_login(cast.kam)
    url = reverse("accounts:list")
    page = client.get(url, {"tier": "Z", "q": "Alpha"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="filter-errors"' in html
    assert "Tier: Select a valid choice. Z is not one of the available choices." in html
    # the other filters still apply
    assert "Alpha" in html and "Beta" not in html
    # the same answer to htmx
    fragment = client.get(url, {"tier": "Z"}, HTTP_HX_REQUEST="true")
    assert "Not applied: Tier:" in fragment.content.decode()
    # an export is refused rather than holding accounts nobody asked for
    refused = client.get(url, {"tier": "Z", "format": "csv"})
    assert refused.status_code == 400
    assert "Z is not one of the available choices" in refused.content.decode()
    # valid filters: no warning
    assert "filter-errors" not in client.get(url, {"tier": "A"}).content.decode()
