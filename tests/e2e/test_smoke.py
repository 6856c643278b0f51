"""Each role logs in through the real login form and sees its home page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOMES = {
    "kam": ("Good day", "Guten Tag"),
    "manager": ("My teams", "Meine Teams"),
    "cs": ("Customer services", "Kundenservice"),
    "admin": ("Administration", "Administration"),
}


PASSWORD = "s3cret-pass"


def login(page, username, password=PASSWORD):
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("who", HOMES)
def test_role_logs_in_and_sees_home_in_english_and_german(page, screenshot, cast, who):
    from tests.factories import AccountFactory

    AccountFactory.create_batch(3, owner=cast.kam, deputy=cast.kam2)
    english, german = HOMES[who]
    # English
    login(page, who)
    title = page.get_by_test_id("home-title")
    assert english in title.inner_text()
    screenshot(f"home-{who}-en")
    # switch to German with the language switcher (no inline script needed)
    page.get_by_test_id("language-select").select_option("de")
    page.wait_for_load_state("networkidle")
    assert german in page.get_by_test_id("home-title").inner_text()
    assert page.locator("html").get_attribute("lang") == "de"
    screenshot(f"home-{who}-de")
    assert page.console_errors == []


def test_login_page_and_wrong_password(page, screenshot, cast):
    page.goto(reverse("login"))
    screenshot("login-en")
    login(page, "kam", "wrong-password")
    assert "not correct" in page.get_by_test_id("login-error").inner_text()
    screenshot("login-error-en")
    page.get_by_test_id("language-select").select_option("de")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Anmelden").is_visible()
    screenshot("login-de")
    assert page.console_errors == []


def test_password_reset_mail_shows_in_the_admin_outbox(page, screenshot, cast):
    # a KAM asks for a reset link
    page.goto(reverse("password_reset"))
    page.get_by_label("Email").fill(cast.kam.email)
    page.get_by_role("button", name="Send reset link").click()
    assert "Check your email" in page.locator("main").inner_text()
    # the administrator reads it in the outbox
    login(page, "admin")
    page.get_by_role("link", name="Outbox").first.click()
    row = page.get_by_role("link", name="Reset your KAM password")
    assert row.is_visible()
    assert "Sent" in page.locator("tbody").inner_text()
    screenshot("outbox-list-en")
    row.click()
    assert "/auth/reset/" in page.get_by_test_id("outbox-body").inner_text()
    screenshot("outbox-detail-en")
    assert page.console_errors == []


def test_kam_searches_the_account_list(page, screenshot, cast):
    from tests.factories import AccountFactory

    AccountFactory(name="Nordlicht Media GmbH", owner=cast.kam, industry="Publishing")
    AccountFactory(name="Atlas Software AG", owner=cast.kam, industry="Software")
    AccountFactory(name="Foreign Bank AG", owner=cast.kam3)
    login(page, "kam")
    page.get_by_role("link", name="Accounts").first.click()
    page.wait_for_url("**/accounts/")  # the home page also lists #account-rows
    rows = page.locator("#account-rows tr")
    expect(rows).to_have_count(2)  # not the other team's account
    page.get_by_label("Search").fill("nordl")
    expect(rows).to_have_count(1)  # htmx swapped the rows in place
    assert "Nordlicht Media GmbH" in rows.first.inner_text()
    assert "q=nordl" in page.url
    screenshot("accounts-search-en")
    page.goto("/accounts/999999/")
    assert "Page not found" in page.locator("main").inner_text()
    screenshot("not-found-en")
