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
