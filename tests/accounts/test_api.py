import pytest
from django.utils import timezone

from accounts.models import Contact, Task
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_valid_credentials_only(client, cast):
    bad = client.post("/api/v1/auth/token/", {"username": "kam", "password": "nope"})
    assert bad.status_code == 400
    ok = client.post(
        "/api/v1/auth/token/", {"username": "kam", "password": "s3cret-pass"}
    )
    assert ok.status_code == 200
    token = ok.json()["token"]
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.json()["username"] == "kam"


def test_a_name_longer_than_any_users_is_refused_before_it_is_looked_up(client):
    """Found by the API fuzzer: a 300-character name was a 500 (django-axes could
    not store the failed attempt)."""
    from axes.models import AccessAttempt

    answer = client.post(
        "/api/v1/auth/token/", {"username": "ü" * 300, "password": "x"}
    )
    assert answer.status_code == 400
    assert "150 characters" in answer.json()["username"][0]
    assert not AccessAttempt.objects.exists()


def test_a_name_with_a_nul_character_is_a_400(client):
    """Found by the API fuzzer: the lockout check asked the database about it (500)."""
    answer = client.post("/api/v1/auth/token/", {"username": "k\x00m", "password": "x"})
    assert answer.status_code == 400
    assert "Null characters are not allowed." in answer.json()["username"][0]


def test_contact_crud_through_the_api(client, cast):
    account = AccountFactory(owner=cast.kam)
    client.force_login(cast.kam)
    created = client.post(
        "/api/v1/contacts/",
        {
            "account": account.pk,
            "first_name": "Vera",
            "last_name": "Meier",
            "influence": 5,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    bad = client.patch(
        f"/api/v1/contacts/{pk}/", {"influence": 9}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "influence" in bad.json()
    assert Contact.objects.get(pk=pk).influence == 5
    loop = client.patch(
        f"/api/v1/contacts/{pk}/", {"reports_to": pk}, content_type="application/json"
    )
    assert loop.status_code == 400
    other = ContactFactory()
    cross = client.patch(
        f"/api/v1/contacts/{pk}/",
        {"reports_to": other.pk},
        content_type="application/json",
    )
    assert cross.status_code == 400
    assert client.delete(f"/api/v1/contacts/{pk}/").status_code == 204
    assert not Contact.objects.filter(pk=pk).exists()


def test_account_update_through_the_api_validates_vat(client, cast):
    account = AccountFactory(owner=cast.kam, country="DE")
    client.force_login(cast.kam)
    bad = client.patch(
        f"/api/v1/accounts/{account.pk}/",
        {"vat_id": "DE123456789"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "not a valid VAT id" in bad.json()["vat_id"][0]
    ok = client.patch(
        f"/api/v1/accounts/{account.pk}/",
        {"vat_id": "DE136695976"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["vat_id"] == "DE136695976"


def test_tasks_through_the_api(client, cast):
    account = AccountFactory(owner=cast.kam)
    client.force_login(cast.kam)
    response = client.post(
        "/api/v1/tasks/",
        {"title": "Call", "due_at": timezone.now().isoformat(), "account": account.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    task = Task.objects.get()
    assert task.assignee == cast.kam
    assert task.created_by == cast.kam
    empty = client.post(
        "/api/v1/tasks/",
        {"title": "", "due_at": "soon"},
        content_type="application/json",
    )
    assert empty.status_code == 400
    assert set(empty.json()) == {"title", "due_at"}


def test_schema_lists_the_endpoints(client, cast):
    client.force_login(cast.kam)
    schema = client.get("/api/schema/").content.decode()
    for path in [
        "/api/v1/contacts/",
        "/api/v1/order-lines/",
        "/api/v1/tasks/",
        "/api/v1/auth/token/",
    ]:
        assert path in schema


def test_deleting_a_contact_that_an_offer_names_is_a_conflict(client, cast):
    """Defect (issue 19): DELETE answered 500 (ProtectedError). Now 409, naming the
    offer, and nothing changes: not even the reporting line the delete first moves."""
    from datetime import timedelta

    from offers.services.building import offer_create

    account = AccountFactory(owner=cast.kam)
    contact = ContactFactory(account=account)
    offer = offer_create(account=account, contact=contact, actor=cast.kam, title="Seats",
                         valid_until=timezone.localdate() + timedelta(days=30))  # fmt: skip
    report = ContactFactory(account=offer.account, reports_to=contact)
    client.force_login(cast.kam)
    response = client.delete(f"/api/v1/contacts/{contact.pk}/")
    assert response.status_code == 409, response.content
    detail = response.json()["detail"]
    assert offer.number in detail and "do not contact" in detail
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert Contact.objects.get(pk=report.pk).reports_to_id == contact.pk
    # the page's delete button says the same instead of a server error
    page = client.post(
        f"/accounts/{offer.account.pk}/contacts/{contact.pk}/delete/", follow=True
    )
    assert page.status_code == 200
    assert offer.number in page.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("encoding", ["multipart", "json"])
def test_null_selection_criteria_are_a_clear_400(client, cast, method, encoding):
    """Defect (issue 19): key_account_criteria=null as multipart form data gave 500."""
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    account = AccountFactory(owner=cast.kam, key_account_criteria=["revenue"])
    client.force_login(cast.kam)
    data = {"name": account.name, "key_account_criteria": None}
    if encoding == "multipart":
        body = encode_multipart(BOUNDARY, {"name": account.name,
                                           "key_account_criteria": "null"})  # fmt: skip
        response = getattr(client, method)(
            f"/api/v1/accounts/{account.pk}/", body, content_type=MULTIPART_CONTENT
        )
    else:
        response = getattr(client, method)(
            f"/api/v1/accounts/{account.pk}/", data, content_type="application/json"
        )
    assert response.status_code == 400, response.content
    assert "key_account_criteria" in response.json()
    account.refresh_from_db()
    assert account.key_account_criteria == ["revenue"]


def test_selection_criteria_are_checked_and_stored_as_a_list(client, cast):
    account = AccountFactory(owner=cast.kam)
    client.force_login(cast.kam)
    url = f"/api/v1/accounts/{account.pk}/"
    bad = client.patch(
        url, {"key_account_criteria": ["x"]}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "key_account_criteria" in bad.json()
    ok = client.patch(url, {"key_account_criteria": ["revenue", "strategic"]},
                      content_type="application/json")  # fmt: skip
    assert ok.status_code == 200, ok.content
    account.refresh_from_db()
    assert account.key_account_criteria == ["revenue", "strategic"]
    assert ok.json()["key_account_criteria"] == ["revenue", "strategic"]


def test_an_empty_external_reference_is_no_reference(client, cast):
    """Defect (issue 19): PATCH with external_ref "" stored "" in a unique column, so
    the second contact given "" failed with a server error. Empty means none."""
    account = AccountFactory(owner=cast.kam)
    first, second = ContactFactory(account=account), ContactFactory(account=account)
    client.force_login(cast.kam)
    for contact in (first, second):
        response = client.patch(f"/api/v1/contacts/{contact.pk}/", {"external_ref": ""},
                                content_type="application/json")  # fmt: skip
        assert response.status_code == 200, response.content
        assert response.json()["external_ref"] is None
    assert list(
        Contact.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "external_ref", flat=True
        )
    ) == [None, None]
    taken = client.patch(f"/api/v1/contacts/{first.pk}/", {"external_ref": "CRM-1"},
                         content_type="application/json")  # fmt: skip
    assert taken.status_code == 200
    again = client.patch(f"/api/v1/contacts/{second.pk}/", {"external_ref": "CRM-1"},
                         content_type="application/json")  # fmt: skip
    assert again.status_code == 400
    assert "external_ref" in again.json()
