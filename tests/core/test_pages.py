import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import services
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

HOME_TITLES = {
    "kam": "Good day",
    "kam3": "Good day",
    "manager": "My teams",
    "cs": "Customer services",
    "admin": "Administration",
    "norole": "Welcome to KAM",
}


@pytest.mark.parametrize(("who", "title"), HOME_TITLES.items())
def test_each_role_lands_on_its_home(client, cast, who, title):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert title in response.content.decode()


def test_navigation_is_role_aware(client, cast):
    client.force_login(cast.kam)
    html = client.get(reverse("core:home")).content.decode()
    assert reverse("accounts:list") in html
    assert reverse("core:outbox") not in html
    assert reverse("admin:index") not in html
    client.force_login(cast.admin)
    html = client.get(reverse("core:home")).content.decode()
    assert reverse("core:outbox") in html
    assert reverse("admin:index") in html


def _queries(client, url):
    cache.clear()  # cold: what the page costs when nothing of it is kept
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["kam", "manager", "admin", "cs"])
@pytest.mark.parametrize("url", ["core:home", "accounts:list"])
def test_pages_use_a_constant_number_of_queries(client, cast, who, url):
    client.force_login(getattr(cast, who))
    AccountFactory.create_batch(5, owner=cast.kam, deputy=cast.kam2)
    small = _queries(client, reverse(url))
    AccountFactory.create_batch(45, owner=cast.kam2, deputy=cast.kam)
    AccountFactory.create_batch(10, owner=cast.kam3)
    assert _queries(client, reverse(url)) == small


def test_account_list_filters_and_htmx_returns_rows_only(client, cast):
    AccountFactory(name="Nordlicht Media GmbH", owner=cast.kam)
    AccountFactory(name="Atlas Software AG", owner=cast.kam)
    client.force_login(cast.kam)
    html = client.get(reverse("accounts:list"), {"q": "nordlicht"}).content.decode()
    assert "Nordlicht Media GmbH" in html
    assert "Atlas Software AG" not in html
    rows = client.get(reverse("accounts:list"), {"q": "atlas"}, HTTP_HX_REQUEST="true")
    body = rows.content.decode()
    assert "Atlas Software AG" in body
    assert "<html" not in body


def test_german_is_switched_on_and_kept(client, cast):
    client.force_login(cast.kam)
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("core:home")).content.decode()
    assert '<html lang="de"' in html
    assert "Meine Accounts" in html
    assert "Abmelden" in html


def test_login_page_in_german(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Anmelden" in html
    assert "Passwort vergessen?" in html


def test_404_page_has_the_app_look(client, cast):
    client.force_login(cast.kam)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'aria-label="Main navigation"' in html


def test_403_page_for_outbox_to_a_kam(client, cast):
    client.force_login(cast.kam)
    response = client.get(reverse("core:outbox"))
    assert response.status_code == 403
    assert "Access denied" in response.content.decode()


def test_500_page_renders_without_context(client, cast):
    from django.template.loader import get_template

    html = get_template("500.html").render()
    assert "Something went wrong" in html


def test_csp_forbids_inline_scripts(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()


def test_outbox_page_shows_stored_mail_to_administrators(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_queue(
            to=["buyer@customer.example"],
            subject="Offer 2027",
            body_text="Dear buyer",
            body_html="<p>Dear <b>buyer</b></p><script>alert(1)</script>",
        )
    client.force_login(cast.admin)
    listing = client.get(reverse("core:outbox"), {"status": "sent"}).content.decode()
    assert "Offer 2027" in listing
    detail = client.get(reverse("core:outbox-detail", args=[message.pk]))
    assert "Dear buyer" in detail.content.decode()
    raw = client.get(reverse("core:outbox-html", args=[message.pk]))
    assert raw["Content-Security-Policy"].startswith("sandbox")
    assert raw["X-Frame-Options"] == "SAMEORIGIN"
    for who in ("kam", "cs", "manager"):
        client.force_login(getattr(cast, who))
        assert (
            client.get(reverse("core:outbox-html", args=[message.pk])).status_code
            == 403
        )


def test_api_schema_and_me(client, cast):
    client.force_login(cast.kam)
    me = client.get("/api/v1/me/").json()
    assert me == {
        "username": "kam",
        "name": str(cast.kam),
        "roles": ["Key Account Manager"],
        "team": "North",
    }
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/accounts/" in schema.content


def test_healthz_answers_before_host_validation(client, settings):
    settings.ALLOWED_HOSTS = ["kam.example.com"]
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.get("/", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_admin_home_counts_active_users_per_role(client, cast):
    from core.roles import Role
    from core.selectors import role_member_counts

    cast.kam3.is_active = False
    cast.kam3.save()
    assert role_member_counts() == {
        Role.KEY_ACCOUNT_MANAGER: 2,
        Role.SALES_MANAGER: 2,
        Role.CUSTOMER_SERVICES: 1,
        Role.ADMINISTRATOR: 1,
    }
    client.force_login(cast.admin)
    html = client.get(reverse("core:home")).content.decode()
    assert "7 active users." in html


def test_the_floor_view_is_signed_in_and_tiny(client, cast):
    """bench/pages.py measures every page against it: the same middleware and
    sign-in check as a page, nothing else (the session and the user: 2 queries)."""
    url = reverse("core:floor")
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    client.force_login(cast.kam)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200 and response.content == b"ok"
    assert len(queries) <= 2, [q["sql"] for q in queries.captured_queries]


def test_the_kam_homes_billing_cards_are_kept_until_one_of_her_accounts_changes(
    client, cast
):
    from contracts.models import Invoice
    from tests.clock import upcoming
    from tests.contracts.helpers import contract_with

    contract = contract_with(cast.kam, cast.cs, start_on=upcoming(3, 1),
                             lines=[("S", "monthly", "100", 1, 0)])  # fmt: skip
    invoice = Invoice.objects.filter(contract=contract).first()
    assert invoice is not None and invoice.status != "overdue"
    client.force_login(cast.kam)
    first = _queries(client, reverse("core:home"))
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("core:home")).content.decode()
    assert len(ctx.captured_queries) < first  # the cards came from the cache
    assert "None. Everything is paid on time." in html
    # the nightly job's kind of write (set-based SQL) shows on the next look
    Invoice.objects.filter(pk=invoice.pk).update(status="overdue")
    html = client.get(reverse("core:home")).content.decode()
    assert invoice.number in html.split('data-testid="home-overdue"')[1]
    # another KAM's account changing does not make hers anew
    AccountFactory(owner=cast.kam2)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("core:home"))
    assert len(ctx.captured_queries) < first
