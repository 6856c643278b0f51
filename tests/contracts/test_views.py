import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import Contract, Invoice, Subscription
from contracts.services import lifecycle
from contracts.services import signing as contract_signing
from offers.models import Offer
from tests.contracts.helpers import contract_for
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_kam_sees_own_contract_and_starts_a_new_offer(client, cast):
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    client.force_login(cast.kam)
    page = client.get(contract.get_absolute_url())
    assert page.status_code == 200
    assert contract.number in page.content.decode()
    response = client.post(reverse("contracts:new-offer", args=[contract.pk]))
    offer = Offer.objects.get(title=f"Renewal of {contract.number}")
    assert response.url == reverse("offers:edit", args=[offer.pk])


@pytest.mark.parametrize("who", ["kam2", "kam3", "manager2", "norole"])
def test_others_do_not_see_the_contract(client, cast, who):
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    client.force_login(getattr(cast, who))
    assert client.get(contract.get_absolute_url()).status_code == 404
    response = client.post(reverse("contracts:new-offer", args=[contract.pk]))
    assert response.status_code == 404
    assert not Offer.objects.filter(title__startswith="Renewal").exists()
    for endpoint in ("contract", "subscription", "invoice"):
        listed = client.get(reverse(f"{endpoint}-list"))
        assert listed.status_code in (200, 403)
        if listed.status_code == 200:
            assert listed.json()["count"] == 0, endpoint


@pytest.mark.parametrize("who", ["kam", "manager", "cs", "admin"])
def test_api_lists_what_the_user_may_see(client, cast, who):
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    contract_for(cast.kam3, finalize_by=cast.cs)
    client.force_login(getattr(cast, who))
    data = client.get(reverse("contract-list")).json()
    numbers = {c["number"] for c in data["results"]}
    assert contract.number in numbers
    assert len(numbers) == (2 if who in ("cs", "admin") else 1)
    invoices = client.get(reverse("invoice-list")).json()["results"]
    assert invoices and all(i["gross"] for i in invoices)
    assert client.get(reverse("subscription-list")).json()["count"] >= 1
    # read-only: no writes through the API
    assert client.post(reverse("contract-list"), {}).status_code in (403, 405)


def test_signing_page(client, cast):
    contract = contract_for(cast.kam, sign=False)
    token = contract_signing.signing_token(contract)
    url = reverse("contracts:sign", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and b"sign-form" in page.content
    assert client.get(reverse("contracts:sign-pdf", args=[token])).content.startswith(
        b"%PDF"
    )
    # without the tick box nothing happens
    client.post(url, {"name": "Buyer"})
    contract.refresh_from_db()
    assert contract.status == "sent"
    response = client.post(
        url, {"name": "Buyer", "title": "CEO", "agree": "on"},
        HTTP_USER_AGENT="Browser/1.0", REMOTE_ADDR="198.51.100.7",
    )  # fmt: skip
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.status, contract.signer_ip, contract.signer_user_agent) == (
        "signed",
        "198.51.100.7",
        "Browser/1.0",
    )
    assert b"signed" in client.get(url).content
    assert client.get(reverse("contracts:sign", args=[token + "x"])).status_code == 404


def test_signing_link_of_a_cancelled_contract_is_gone(client, cast):
    contract = contract_for(cast.kam, sign=False)
    token = contract_signing.signing_token(contract)
    lifecycle.contract_cancel(contract=contract, actor=cast.cs, reason="Duplicate")
    assert client.get(reverse("contracts:sign", args=[token])).status_code == 410


def test_expired_signing_link(client, cast, settings):
    contract = contract_for(cast.kam, sign=False)
    token = contract_signing.signing_token(contract)
    settings.KAM_SIGNING_LINK_DAYS = -1
    assert client.get(reverse("contracts:sign", args=[token])).status_code == 404


def test_customer_services_finalize_in_the_admin(client, cast):
    contract = contract_for(cast.kam)
    client.force_login(cast.cs)
    changelist = reverse("admin:contracts_contract_changelist")
    page = client.get(changelist + "?worklist=ready_to_finalize&q=" + contract.number)
    assert contract.number in page.content.decode()
    change = client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))
    body = change.content.decode()
    assert "Billing address" in body and 'name="trial_days"' in body
    response = client.post(
        changelist,
        {"action": "finalize_selected", "_selected_action": [contract.pk]},
        follow=True,
    )
    assert f"{contract.number} finalized" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status in ("finalized", "active")
    assert Subscription.objects.filter(contract=contract).count() == 1
    assert Invoice.objects.filter(contract=contract).count() == 1
    # now read-only, with its history
    change = client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))
    assert 'name="trial_days"' not in change.content.decode()
    history = client.get(
        reverse("admin:contracts_contract_history", args=[contract.pk])
    )
    assert history.status_code == 200
    page = client.get(changelist + "?worklist=finalized_today")
    assert contract.number in page.content.decode()


def test_admin_cancel_and_credit_need_a_reason(client, cast):
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    invoice = contract.invoices.get()
    client.force_login(cast.cs)
    url = reverse("admin:contracts_invoice_credit", args=[invoice.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status != "cancelled"
    client.post(url, {"reason": "Wrong address"})
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    url = reverse("admin:contracts_contract_cancel", args=[contract.pk])
    client.post(url, {"reason": "Customer insolvent"})
    contract.refresh_from_db()
    assert contract.status == "cancelled"


def test_admin_bad_terms_change_nothing(client, cast):
    contract = contract_for(cast.kam)
    client.force_login(cast.cs)
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    response = client.post(
        url, {"trial_days": "900", "payment_terms_days": "14", "renewal_months": "12"}
    )
    contract.refresh_from_db()
    assert contract.trial_days == 0
    assert response.status_code in (200, 302)


def test_kams_cannot_use_the_admin(client, cast):
    contract = contract_for(cast.kam)
    client.force_login(cast.kam)
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    assert client.get(url).status_code == 302  # to the admin login


def _count(client, url):
    cache.clear()  # cold: what the page costs when nothing of it is kept
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_account_360_and_home_queries_do_not_grow(client, cast):
    account = AccountFactory(
        owner=cast.kam, street="a", postal_code="1", city="b", country="DE"
    )
    contract_for(cast.kam, account=account, finalize_by=cast.cs)
    client.force_login(cast.kam)
    url = reverse("accounts:detail", args=[account.pk])
    small, home = _count(client, url), _count(client, "/")
    for _ in range(3):
        contract_for(cast.kam, account=account, finalize_by=cast.cs)
    Invoice.objects.update(status="overdue")
    assert _count(client, url) == small
    assert _count(client, "/") == home
    page = client.get(url).content.decode()
    assert 'data-testid="mrr"' in page and "overdue" in page


def test_contract_page_queries_do_not_grow(client, cast):
    contract = contract_for(cast.kam, finalize_by=cast.cs)
    client.force_login(cast.kam)
    small = _count(client, contract.get_absolute_url())
    big = contract_for(cast.kam, finalize_by=cast.cs)
    assert _count(client, big.get_absolute_url()) == small
    assert Contract.objects.count() == 2
