"""A KAM finds an account, logs a call, adds a task due now and gets the reminder."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.services.todos import task_reminders_send
from tests.e2e.test_smoke import login
from tests.factories import AccountFactory, ContactFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_kam_logs_a_call_and_gets_the_task_reminder(page, screenshot, cast):
    account = AccountFactory(
        owner=cast.kam, name="Nordlicht Media", is_key_account=True
    )
    ContactFactory(account=account, first_name="Vera", last_name="Meier")
    AccountFactory(owner=cast.kam, name="Atlas Software")
    login(page, "kam")

    # find the account
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.wait_for_url("**/accounts/")  # the home page also lists #account-rows
    page.get_by_label("Search").fill("nordl")
    expect(page.locator("#account-rows tr")).to_have_count(1)
    page.get_by_role("link", name="Nordlicht Media").click()
    expect(page.get_by_test_id("account-name")).to_contain_text("Nordlicht Media")

    # log a call with Vera Meier: the section links jump to the timeline, which
    # loads as it comes into view
    page.get_by_role("link", name="Timeline", exact=True).click()
    page.get_by_text("Log a touchpoint").click()
    form = page.get_by_test_id("touchpoint-form")
    form.get_by_label("Channel").select_option("call")
    form.get_by_label("Subject").fill("Renewal call")
    form.get_by_label("Vera Meier").check()
    form.get_by_label("Outcome").fill("Wants a two-year offer")
    form.get_by_role("button", name="Log touchpoint").click()
    expect(page.get_by_role("alert").first).to_contain_text("Touchpoint logged.")
    expect(page.get_by_test_id("timeline-entry").first).to_contain_text(
        "Call: Renewal call"
    )
    screenshot("account-360-after-call")

    # add a task due now (the form proposes now)
    page.get_by_role("link", name="Open tasks", exact=True).click()
    page.get_by_text("Add task", exact=True).first.click()
    task_form = page.get_by_test_id("task-form")
    task_form.get_by_label("Title").fill("Send the two-year offer")
    task_form.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("alert").first).to_contain_text("Task created.")

    # the periodic job runs
    assert task_reminders_send() == 1
    assert [m.subject for m in mail.outbox] == ["Due: Send the two-year offer"]

    # the bell shows it, and the home page lists the task
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_test_id("bell-count")).to_have_text("1")
    expect(page.get_by_test_id("due-tasks")).to_contain_text("Send the two-year offer")
    screenshot("kam-home-with-reminder")
    page.get_by_test_id("bell").click()
    page.locator("#notification-menu").get_by_text(
        "Due: Send the two-year offer"
    ).click()
    expect(page.get_by_label("Title")).to_have_value("Send the two-year offer")
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    assert page.console_errors == []


def test_removing_a_contact_an_offer_names_is_refused_with_the_reason(
    page, screenshot, cast
):
    """Issue 19: the removal was a server error; now the 360 says which offer still
    names the contact, and the contact stays."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Contact
    from offers.services.building import offer_create

    account = AccountFactory(owner=cast.kam, name="Nordlicht Media")
    vera = ContactFactory(account=account, first_name="Vera", last_name="Meier")
    offer = offer_create(account=account, contact=vera, actor=cast.kam, title="Seats",
                         valid_until=timezone.localdate() + timedelta(days=30))  # fmt: skip
    login(page, "kam")
    page.goto(f"/accounts/{account.pk}/contacts/{vera.pk}/")
    page.get_by_role("button", name="Remove this contact").click()
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text(
        "Vera Meier cannot be removed: they are named on offer"
    )
    expect(alert).to_contain_text(offer.number)
    screenshot("contact-removal-refused")
    assert Contact.objects.filter(pk=vera.pk).exists()
    assert page.console_errors == []


def test_a_link_to_a_section_of_the_360_loads_it_at_once(page, cast):
    from tests.factories import TaskFactory

    account = AccountFactory(owner=cast.kam, name="Nordlicht Media")
    TaskFactory(account=account, assignee=cast.kam, title="Send the framework draft")
    login(page, "kam")
    # straight to a section low on the page: the link loads it, not a scroll
    page.goto(account.get_absolute_url() + "#tasks")
    expect(page.locator("#tasks")).to_contain_text("Send the framework draft")
    expect(page.locator("#tasks")).not_to_have_class("panel-loading")
    assert page.console_errors == []
