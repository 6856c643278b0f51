"""The customer portal: a contact the KAM enabled signs in by a one-time link
(15 minutes, once, throttled, the same answer for any address) and sees their
own account only; what they do goes through the KAM side's services and onto
the account's timeline."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Task, TimelineEntry
from contracts.models import Invoice
from core.models import OutboundMessage
from planning.models import NpsResponse
from portal.models import PortalLink
from tests.contracts.helpers import contract_for
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db
SENT = "a sign-in link is on its way"


def portal_contact(owner, email, **extra):
    account = AccountFactory(owner=owner, name=f"Account of {email}",
                             street="Kai 1", postal_code="20457", city="Hamburg",
                             **extra)  # fmt: skip
    return ContactFactory(account=account, email=email, portal_enabled=True,
                          first_name="Vera")  # fmt: skip


def ask_link(client, email):
    return client.post("/portal/", {"email": email})


def sent_links() -> list:
    """The sign-in e-mails in the outbox (the record of what is sent), oldest first."""
    return list(
        OutboundMessage.objects.filter(body_text__contains="/portal/in/").order_by("pk")
    )


def link_in(message) -> str:
    found = re.search(r"https?://[^/\s]+(/portal/in/[^/\s]+/)", message.body_text)
    return found.group(1)


def signed_in(client, contact):
    ask_link(client, contact.email)
    path = link_in(sent_links()[-1])
    assert client.post(path).status_code == 302
    return client


@pytest.fixture
def vera(cast):
    return portal_contact(cast.kam, "vera@nordlicht.example")


@pytest.fixture
def jonas(cast):  # another team's customer
    return portal_contact(cast.kam3, "jonas@atlas.example")


def test_a_link_signs_in_once_and_only_for_fifteen_minutes(client, vera, cast):
    response = ask_link(client, "Vera@Nordlicht.example")
    assert SENT in response.content.decode()
    (message,) = sent_links()
    assert message.to == ["vera@nordlicht.example"]
    path = link_in(message)
    # opening the link signs nobody in (a mail scanner follows links)
    assert client.get(path).status_code == 200
    assert client.get("/portal/home/").status_code == 302
    assert client.post(path)["Location"] == "/portal/home/"
    home = client.get("/portal/home/")
    assert home.status_code == 200 and "Katrin Albers" in home.content.decode()
    assert cast.kam.email in home.content.decode()  # how to reach the KAM
    # used: a second time it is gone
    assert client.post(path).status_code == 410
    # an unused one, after 15 minutes
    ask_link(client, vera.email)
    later = link_in(sent_links()[-1])
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert client.post(later).status_code == 410


def test_the_same_answer_whether_or_not_the_address_is_known(client, vera, cast):
    ContactFactory(
        account=vera.account, email="nobody@nordlicht.example"
    )  # not enabled
    for email in ("vera@nordlicht.example", "stranger@example.com",
                  "nobody@nordlicht.example"):  # fmt: skip
        page = ask_link(client, email).content.decode()
        assert SENT in page and email in page
    assert [m.to for m in sent_links()] == [["vera@nordlicht.example"]]


def test_links_are_throttled_per_address(client, vera, settings):
    for _ in range(settings.KAM_PORTAL_LINKS_PER_ADDRESS + 2):
        assert SENT in ask_link(client, vera.email).content.decode()
    assert len(sent_links()) == settings.KAM_PORTAL_LINKS_PER_ADDRESS
    assert PortalLink.objects.count() == settings.KAM_PORTAL_LINKS_PER_ADDRESS


def test_a_contact_taken_off_the_portal_is_signed_out(client, vera):
    signed_in(client, vera)
    type(vera).objects.filter(pk=vera.pk).update(portal_enabled=False)
    assert client.get("/portal/home/")["Location"] == "/portal/"


def test_a_contact_sees_their_account_only(client, cast, vera, jonas):
    mine = contract_for(cast.kam, account=vera.account, contact=vera,
                        finalize_by=cast.cs)  # fmt: skip
    theirs = contract_for(cast.kam3, account=jonas.account, contact=jonas,
                          finalize_by=cast.cs)  # fmt: skip
    my_invoice = Invoice.objects.get(contract=mine)
    their_invoice = Invoice.objects.get(contract=theirs)
    signed_in(client, vera)
    page = client.get("/portal/home/").content.decode()
    assert mine.number in page and my_invoice.number in page
    assert theirs.number not in page and their_invoice.number not in page
    assert client.get(f"/portal/invoices/{my_invoice.pk}/pdf/").status_code == 200
    # every object URL of the other account: as if it did not exist
    for path in (f"/portal/invoices/{their_invoice.pk}/pdf/",
                 f"/portal/invoices/{their_invoice.pk}/xml/",
                 f"/portal/contracts/{theirs.pk}/pdf/"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    assert client.post(f"/portal/contracts/{theirs.pk}/notice/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.notice_received_on is None


def test_a_head_office_contact_sees_the_subsidiaries_when_allowed(client, cast, vera):
    child = AccountFactory(owner=cast.kam, parent=vera.account, name="Nordlicht Süd",
                           street="Weg 2", postal_code="80331", city="München")  # fmt: skip
    contract = contract_for(cast.kam, account=child, finalize_by=cast.cs)
    signed_in(client, vera)
    assert contract.number not in client.get("/portal/home/").content.decode()
    type(vera).objects.filter(pk=vera.pk).update(portal_sees_group=True)
    assert contract.number in client.get("/portal/home/").content.decode()


def test_a_request_becomes_a_task_for_the_kam_on_the_timeline(client, cast, vera):
    signed_in(client, vera)
    response = client.post("/portal/change/", {
        "account": vera.account.pk, "kind": "seats", "text": "Ten more seats, please.",
    })  # fmt: skip
    assert response.status_code == 302
    task = Task.objects.get(account=vera.account)
    assert task.assignee == cast.kam and "Ten more seats" in task.notes
    assert TimelineEntry.objects.filter(
        account=vera.account, summary__contains="Ten more seats"
    ).exists()
    # nothing asked: refused with the reason, nothing made
    client.post("/portal/change/", {"account": vera.account.pk, "kind": "seats",
                                    "text": ""})  # fmt: skip
    assert Task.objects.filter(account=vera.account).count() == 1


def test_notice_and_nps_from_the_portal(client, cast, vera):
    contract = contract_for(cast.kam, account=vera.account, contact=vera,
                            finalize_by=cast.cs)  # fmt: skip
    # a standing order before its cancel-by date
    type(contract).objects.filter(pk=contract.pk).update(
        auto_renew=True, cancel_by=timezone.localdate() + timedelta(days=30)
    )
    signed_in(client, vera)
    assert "portal-notice" in client.get("/portal/home/").content.decode()
    before = TimelineEntry.objects.filter(account=vera.account).count()
    client.post(f"/portal/contracts/{contract.pk}/notice/")
    assert TimelineEntry.objects.filter(account=vera.account).count() == before + 1
    contract.refresh_from_db()
    assert contract.notice_received_on == timezone.localdate()
    assert not contract.auto_renew and "customer portal" in contract.notice_reason
    assert "portal-notice" not in client.get("/portal/home/").content.decode()
    before = TimelineEntry.objects.filter(account=vera.account).count()
    client.post("/portal/nps/", {"score": "9", "comment": "Quick answers"})
    assert TimelineEntry.objects.filter(account=vera.account).count() == before + 1
    answer = NpsResponse.objects.get(account=vera.account)
    assert (answer.score, answer.contact, answer.recorded_by) == (9, vera, None)
    client.post("/portal/nps/", {"score": "11"})
    assert NpsResponse.objects.filter(account=vera.account).count() == 1


def test_the_portal_speaks_the_accounts_language(client, cast):
    anna = portal_contact(cast.kam, "anna@hafen.example", language="de")
    signed_in(client, anna)
    page = client.get("/portal/home/").content.decode()
    assert "Ihr Key-Account-Manager" in page or "Ihre Abonnements" in page


def test_every_portal_url_naming_an_object_is_a_404_for_another_accounts_contact(
    client, cast, vera, jonas
):
    """Read from the URLconf: a new portal page that takes an id is checked too."""
    from accounts.services.activity import document_share
    from tests.core.world import routes

    theirs = contract_for(cast.kam3, account=jonas.account, contact=jonas,
                          finalize_by=cast.cs)  # fmt: skip
    invoice = Invoice.objects.get(contract=theirs)
    document = theirs.document
    document_share(document=document, shared=True, actor=cast.kam3)
    foreign = {"invoice": invoice.pk, "contract": theirs.pk, "document": document.pk}
    patterns = [(name, route) for name, route in routes()
                if name.startswith("portal:") and "<int:pk>" in route]  # fmt: skip
    assert {name for name, _ in patterns} >= {
        "portal:invoice-pdf", "portal:invoice-xml", "portal:contract-pdf",
        "portal:notice", "portal:document",
    }  # fmt: skip
    signed_in(client, vera)
    for name, route in patterns:
        kind = next(k for k in foreign if k in name or k in route)
        path = ("" if route.startswith("/") else "/") + route.replace(
            "<int:pk>", str(foreign[kind])
        )
        for method in (client.get, client.post):
            assert method(path).status_code in (404, 405), (name, path)
    # jonas himself gets them (the ids are real)
    signed_in(client, jonas)
    assert client.get(f"/portal/documents/{document.pk}/").status_code == 200
    assert client.get(f"/portal/invoices/{invoice.pk}/pdf/").status_code == 200
