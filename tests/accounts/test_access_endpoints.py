"""A KAM asking for another team's objects by URL or API gets a 404, everywhere."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.services import activity
from tests.factories import (
    AccountFactory,
    ContactFactory,
    OrderLineFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def foreign(cast, settings, tmp_path):
    """Objects of kam3 (Team South), which kam (Team North) must never reach."""
    settings.MEDIA_ROOT = tmp_path
    account = AccountFactory(owner=cast.kam3)
    contact = ContactFactory(account=account)
    task = TaskFactory(assignee=cast.kam3, account=account)
    line = OrderLineFactory(account=account)
    document = activity.document_upload(
        account=account,
        actor=cast.kam3,
        uploaded_file=SimpleUploadedFile("a.pdf", PDF),
    )
    return {
        "account": account,
        "contact": contact,
        "task": task,
        "line": line,
        "document": document,
    }


def page_urls(o):
    a = o["account"].pk
    return [
        ("get", reverse("accounts:detail", args=[a])),
        ("get", reverse("accounts:edit", args=[a])),
        ("post", reverse("accounts:edit", args=[a])),
        ("get", reverse("accounts:timeline", args=[a])),
        ("post", reverse("accounts:touchpoint-create", args=[a])),
        ("post", reverse("accounts:document-upload", args=[a])),
        ("post", reverse("accounts:email-send", args=[a])),
        ("post", reverse("accounts:task-create", args=[a])),
        ("get", reverse("accounts:contact-create", args=[a])),
        ("get", reverse("accounts:contact-edit", args=[a, o["contact"].pk])),
        ("post", reverse("accounts:contact-delete", args=[a, o["contact"].pk])),
        ("get", reverse("accounts:document-download", args=[o["document"].pk])),
        ("get", reverse("accounts:task-edit", args=[o["task"].pk])),
        ("post", reverse("accounts:task-edit", args=[o["task"].pk])),
        ("post", reverse("accounts:task-toggle", args=[o["task"].pk])),
    ]


def api_urls(o):
    return [
        ("get", f"/api/v1/accounts/{o['account'].pk}/"),
        ("patch", f"/api/v1/accounts/{o['account'].pk}/"),
        ("get", f"/api/v1/contacts/{o['contact'].pk}/"),
        ("patch", f"/api/v1/contacts/{o['contact'].pk}/"),
        ("delete", f"/api/v1/contacts/{o['contact'].pk}/"),
        ("get", f"/api/v1/order-lines/{o['line'].pk}/"),
        ("get", f"/api/v1/tasks/{o['task'].pk}/"),
        ("patch", f"/api/v1/tasks/{o['task'].pk}/"),
        ("delete", f"/api/v1/tasks/{o['task'].pk}/"),
    ]


def test_every_page_of_a_foreign_account_is_a_404(client, cast, foreign):
    client.force_login(cast.kam)
    for method, url in page_urls(foreign):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert foreign["account"].contacts.count() == 1
    assert not foreign["task"].done_at


def test_every_api_endpoint_of_a_foreign_account_is_a_404(client, cast, foreign):
    token = Token.objects.create(user=cast.kam)
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    for method, url in api_urls(foreign):
        response = getattr(client, method)(
            url, content_type="application/json", **headers
        )
        assert response.status_code == 404, (method, url, response.status_code)
    for url in [
        "/api/v1/accounts/",
        "/api/v1/contacts/",
        "/api/v1/order-lines/",
        "/api/v1/tasks/",
    ]:
        assert client.get(url, **headers).json()["count"] == 0, url


def test_creating_through_the_api_on_a_foreign_account_is_refused(
    client, cast, foreign
):
    client.force_login(cast.kam)
    response = client.post(
        "/api/v1/contacts/",
        {"account": foreign["account"].pk, "last_name": "Spy"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "account" in response.json()
    response = client.post(
        "/api/v1/tasks/",
        {
            "title": "x",
            "due_at": "2026-12-01T10:00:00Z",
            "account": foreign["account"].pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert foreign["account"].contacts.count() == 1


def test_the_other_teams_manager_gets_404_and_own_manager_gets_200(
    client, cast, foreign
):
    url = reverse("accounts:detail", args=[foreign["account"].pk])
    client.force_login(cast.manager)
    assert client.get(url).status_code == 404
    client.force_login(cast.manager2)
    assert client.get(url).status_code == 200


def test_customer_services_see_everything_read_only(client, cast, foreign):
    client.force_login(cast.cs)
    assert (
        client.get(reverse("accounts:detail", args=[foreign["account"].pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("accounts:edit", args=[foreign["account"].pk])).status_code
        == 403
    )
    response = client.patch(
        f"/api/v1/accounts/{foreign['account'].pk}/",
        {"name": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    foreign["account"].refresh_from_db()
    assert foreign["account"].name != "x"


def test_feed_of_another_user_needs_their_secret(client, cast):
    response = client.get(
        reverse("accounts:calendar-feed", args=[cast.kam3.calendar_token[:-1] + "x"])
    )
    assert response.status_code == 404
