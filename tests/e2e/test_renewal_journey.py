"""Time moves on over the demo data with `run_renewals --date`: a standing order
renews with a new invoice, a contract without one gets a renewal offer and a KAM
task, an ended one closes and its account shows on the recovery list."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Task
from contracts.models import Contract
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_offer_journey import new_page
from tests.e2e.test_smoke import login
from tests.offers.helpers import ensure_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "demo-e2e-1"


def test_run_renewals_moves_the_demo_through_time(
    page, browser, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()  # an earlier transactional test flushed the roles
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    today = timezone.localdate()
    standing = (
        Contract.objects.filter(status="active", auto_renew=True, end_on__gt=today)
        .select_related("account__owner")
        .order_by("end_on")
        .first()
    )
    manual = Contract.objects.get(title__startswith="Campus licence")
    ending = Contract.objects.get(title__startswith="Analyst bundle")
    assert manual.renewal_offer is None and ending.end_on < standing.end_on
    day = standing.end_on + timedelta(days=1)

    # when the nightly job runs up to the day after the standing order's term
    out = StringIO()
    call_command("run_renewals", "--date", day.isoformat(), "--json", stdout=out)
    counts = json.loads(out.getvalue().strip().splitlines()[-1])
    assert counts["failures"] == 0
    assert counts["renewed"] >= 1 and counts["renewal_offers"] >= 1
    assert counts["ended"] >= 1 and counts["accounts_lost"] >= 1

    # the KAM sees the standing order renewed with its new invoice
    first = page
    login(page, standing.account.owner.username, PASSWORD)
    page.goto(standing.get_absolute_url())
    terms = page.get_by_test_id("terms").locator("li")
    expect(terms).to_have_count(2)
    expect(terms.nth(1)).to_contain_text("Automatic renewal")
    invoice = standing.invoices.get(issued_on=day)
    expect(page.get_by_role("cell", name=invoice.number)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "renewal-contract.png"), full_page=True)

    # the contract without a standing order got a draft offer and a task
    manual.refresh_from_db()
    assert manual.renewal_offer is not None
    task = Task.objects.get(title__contains=manual.renewal_offer.label)
    page = new_page(browser, live_server)
    login(page, task.assignee.username, PASSWORD)
    page.goto(manual.account.get_absolute_url())
    page.get_by_role("link", name="Open tasks", exact=True).click()  # loads in view
    expect(page.locator("#tasks")).to_contain_text(task.title)
    feed = page.request.get(
        reverse("accounts:calendar-feed", args=[task.assignee.calendar_token])
    )
    assert feed.ok and manual.renewal_offer.label in feed.text()
    page.goto(manual.get_absolute_url())
    expect(page.get_by_test_id("renewal-diff")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "renewal-diff.png"), full_page=True)

    # the ended contract closed the cycle: its account is on the recovery list
    page = new_page(browser, live_server)
    login(page, ending.account.owner.username, PASSWORD)
    page.goto("/renewals/recovery/")
    table = page.get_by_test_id("recovery-table")
    expect(table).to_contain_text(ending.account.name)
    page.screenshot(path=str(ARTIFACTS / "renewal-recovery.png"), full_page=True)
    row = table.locator("tr", has_text=ending.account.name)
    row.get_by_role("link", name="Record reason").click()
    page.get_by_label("Why did the customer leave?").select_option("value")
    page.get_by_label("What happened").fill("Usage dropped after the reorganisation.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("recovery-table")).to_contain_text("Too little use")
    page.get_by_test_id("recovery-table").locator(
        "tr", has_text=ending.account.name
    ).get_by_test_id("win-back").click()
    expect(page).to_have_url(re.compile(r"/offers/\d+/edit/$"))
    expect(page.locator("body")).to_contain_text("Win-back")

    # the pipeline shows what comes up next
    page.goto("/renewals/")
    expect(page.get_by_test_id("pipeline-table")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "renewal-pipeline.png"), full_page=True)
    assert first.console_errors == []
