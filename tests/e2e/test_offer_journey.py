"""KAM builds a two-option offer needing approval; manager approves; customer accepts."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Package
from catalog.services import package_version_create
from offers.models import Offer
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_smoke import login
from tests.factories import AccountFactory, ContactFactory, PriceFactory, ProductFactory
from tests.offers.helpers import ensure_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def new_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def start_two_option_offer(page, title: str):
    """On the new-offer page: create the offer for Vera Meier; return its two options."""
    page.get_by_label("Title").fill(title)
    page.get_by_label("Contact").select_option(label="Vera Meier")
    page.get_by_role("button", name="Create and add lines").click()
    options = page.get_by_test_id("option")
    expect(options).to_have_count(2)
    return options


def discount_second_option(page, percent: str = "25"):
    """Give option 2's first line a discount that needs a Sales Manager's approval."""
    discount = (
        page.get_by_test_id("option").nth(1).get_by_test_id("line-discount").first
    )
    discount.fill(percent)
    discount.dispatch_event("change")
    expect(page.get_by_test_id("offer-options")).to_contain_text(
        "Needs a Sales Manager's approval"
    )


def request_approval(page):
    page.get_by_role("link", name="Done: review and send").click()
    page.get_by_test_id("request-approval").click()
    expect(page.get_by_test_id("offer-status").first).to_have_text("Pending approval")


def approve_first_request(manager, comment: str):
    """As a manager: open the first offer waiting for approval and approve it."""
    manager.get_by_role("link", name="Approvals").click()
    manager.get_by_test_id("approval-row").first.click()
    manager.get_by_label("Comment").fill(comment)
    manager.get_by_test_id("approve").click()
    expect(manager.get_by_test_id("offer-status").first).to_have_text("Approved")


def test_offer_from_packages_through_approval_to_acceptance(
    page, browser, live_server, screenshot, cast, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()
    seat = ProductFactory(code="SEAT", name="Enterprise seat")
    archive = ProductFactory(code="ARCH", name="Full-text archive")
    PriceFactory(product=seat, list_price=Decimal("360.00"))
    PriceFactory(product=archive, list_price=Decimal("2400.00"))
    package = Package.objects.create(code="PKG", name="Intelligence")
    package_version_create(
        package=package,
        currency="EUR",
        price_mode="discount",
        discount_percent=Decimal("10"),
        items=[(seat, Decimal(10)), (archive, Decimal(1))],
    )
    account = AccountFactory(owner=cast.kam, name="Nordlicht Media")
    ContactFactory(
        account=account,
        first_name="Vera",
        last_name="Meier",
        email="vera@nordlicht.example",
    )

    # the KAM builds the offer
    login(page, "kam")
    page.goto(account.get_absolute_url())
    page.get_by_test_id("new-offer").click()
    options = start_two_option_offer(page, "Research archive 2027")
    for i in range(2):
        options.nth(i).get_by_role("button", name="Add package").click()
        expect(
            page.get_by_test_id("option").nth(i).get_by_test_id("option-net")
        ).to_contain_text("5,400.00")
    # a line added by mistake is removed again (htmx swaps, no CSP error on the way)
    first_lines = (
        page.get_by_test_id("option").first.get_by_test_id("option-lines").locator("tr")
    )
    before = first_lines.count()
    page.get_by_test_id("option").first.get_by_test_id("product-form").get_by_role(
        "button", name="Add"
    ).click()
    expect(first_lines).to_have_count(before + 1)
    first_lines.last.get_by_role("button", name="Remove line").click()
    expect(first_lines).to_have_count(before)
    discount_second_option(page)
    screenshot("offer-editor")
    request_approval(page)

    # the manager approves
    manager = new_page(browser, live_server)
    login(manager, "manager")
    approve_first_request(manager, "Fine for a two-year deal")
    manager.screenshot(path=str(ARTIFACTS / "offer-approved-by-manager.png"))

    # the KAM sends it
    page.reload()
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("offer-status").first).to_have_text("Sent")
    link = page.get_by_label("Acceptance link").input_value()
    screenshot("offer-sent")

    # the customer accepts option 2 (no login)
    customer = new_page(browser, live_server)
    customer.goto(link)
    form = customer.get_by_test_id("accept-form")
    form.get_by_label("Premium").check()
    form.get_by_label("Your name").fill("Vera Meier")
    form.get_by_label("I accept this offer").check()
    form.get_by_role("button", name="Accept the offer").click()
    expect(customer.get_by_test_id("thanks")).to_contain_text("Premium")
    customer.screenshot(
        path=str(ARTIFACTS / "offer-customer-accepted.png"), full_page=True
    )

    # the KAM sees it accepted
    page.reload()
    expect(page.get_by_test_id("accepted")).to_contain_text("Premium")
    offer = Offer.objects.get()
    assert offer.status == "accepted"
    assert offer.accepted_option.name == "Premium"
    assert offer.signer_ip == "127.0.0.1"
    assert page.console_errors == []
