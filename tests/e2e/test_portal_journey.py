"""A key account's contact on a phone: asks for a sign-in link, follows it, finds
the invoice and downloads it, asks for more seats, answers the NPS question and
signs out; in German for a German account."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Task
from contracts.models import Invoice
from core.models import OutboundMessage
from planning.models import NpsResponse
from tests.contracts.helpers import contract_for
from tests.e2e.conftest import ARTIFACTS
from tests.factories import AccountFactory, ContactFactory
from tests.offers.helpers import ensure_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def the_link() -> str:
    message = OutboundMessage.objects.filter(body_text__contains="/portal/in/").latest(
        "pk"
    )
    return re.search(r"https?://[^/\s]+(/portal/in/[^/\s]+/)", message.body_text).group(
        1
    )


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_contact_uses_the_portal_on_a_phone(
    browser, live_server, cast, settings, tmp_path, language
):
    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()
    account = AccountFactory(
        owner=cast.kam, name="Nordlicht Media", street="Kai 1", postal_code="20457",
        city="Hamburg", language=language,
    )  # fmt: skip
    vera = ContactFactory(account=account, first_name="Vera", last_name="Meier",
                          email="vera@nordlicht.example", portal_enabled=True)  # fmt: skip
    contract = contract_for(cast.kam, account=account, contact=vera,
                            finalize_by=cast.cs)  # fmt: skip
    invoice = Invoice.objects.get(contract=contract)
    german = language == "de"

    context = browser.new_context(base_url=live_server.url, viewport=PHONE,
                                  locale="de-DE" if german else "en-GB")  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/portal/")
    page.locator("#id_email").fill("vera@nordlicht.example")
    page.get_by_test_id("portal-send-link").click()
    expect(page.get_by_test_id("portal-link-sent")).to_contain_text(
        "vera@nordlicht.example"
    )
    page.goto(the_link())
    page.get_by_test_id("portal-enter").click()
    # the overview, in the account's language, fitting the phone's width
    expect(page.get_by_test_id("portal-kam")).to_contain_text("Katrin Albers")
    expect(page.locator("h2#subs-title")).to_have_text(
        "Ihre Abonnements" if german else "Your subscriptions"
    )
    page.screenshot(path=str(ARTIFACTS / f"portal-{language}-top.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    row = page.get_by_test_id("portal-invoice").filter(has_text=invoice.number)
    with page.expect_download() as download:
        row.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename == f"{invoice.number}.pdf"
    page.screenshot(path=str(ARTIFACTS / f"portal-{language}.png"), full_page=True)

    # a request for more seats: a task for the KAM
    page.locator("#id_kind").select_option("seats")
    page.locator("#id_text").fill("Ten more seats from March.")
    page.get_by_test_id("portal-change").click()
    expect(page.locator(".alert-success")).to_contain_text("Katrin Albers")
    task = Task.objects.get(account=account, notes__contains="Ten more seats")
    assert task.assignee == cast.kam and "Ten more seats" in task.notes

    # the NPS question
    page.locator("label[for='id_score_9']").click()
    page.get_by_test_id("portal-nps").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert NpsResponse.objects.get(account=account).score == 9

    page.get_by_test_id("portal-sign-out").click()
    expect(page.get_by_test_id("portal-send-link")).to_be_visible()
    page.goto("/portal/home/")
    expect(page.get_by_test_id("portal-send-link")).to_be_visible()  # signed out
    context.close()
