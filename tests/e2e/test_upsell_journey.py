"""A manager opens the upsell report, narrows it to one team, exports it as XLSX
and starts an offer from a recommendation in one click."""

import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect

from offers.models import Offer
from tests.e2e.test_smoke import login
from tests.insights.conftest import build_segment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_filters_exports_and_starts_an_offer(
    page,
    screenshot,
    cast,
    tmp_path,
):
    segment = build_segment(cast)
    delta = segment["acc"][3]
    # the South team is also the manager's, so the team filter has work to do
    cast.kam3.team.manager = cast.manager
    cast.kam3.team.save(update_fields=["manager"])
    login(page, "manager", "s3cret-pass")
    page.goto(reverse("insights:upsell"))
    expect(page.get_by_test_id("report-title")).to_have_text("Upsell")
    expect(page.get_by_role("link", name="Gamma Press").first).to_be_visible()

    # when the manager narrows the report to the North team
    page.get_by_label("Team").select_option(label="North")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("link", name="Gamma Press")).to_have_count(0)
    expect(page.get_by_test_id("upsell-total")).to_have_text("5,100")
    # the chart is drawn: the total's potential per product family, by section
    drawn = page.locator('canvas[data-chart="potential-data"]')
    expect(drawn).to_have_attribute("data-drawn", re.compile(".+"))
    sums = page.evaluate(
        """() => { const chart = Chart.getChart(document.querySelector(
               'canvas[data-chart="potential-data"]'));
           return chart.data.labels.map((label, i) => [label,
               chart.data.datasets.reduce((s, d) => s + Number(d.data[i]), 0)]); }"""
    )
    assert sums == [["Digital", 3000], ["Print", 1800], ["Archive", 300]]
    screenshot("upsell-north")

    # then the XLSX export, written by a worker while its page shows the progress,
    # holds the same rows
    page.get_by_test_id("export-xlsx").click()
    expect(page.get_by_test_id("export-progress")).to_have_attribute(
        "data-status", "done"
    )
    screenshot("upsell-export-ready")
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    book = load_workbook(saved)
    rows = [[c.value for c in r] for r in book["Recommendations"].iter_rows()]
    assert rows[1][0] == "Delta News" and rows[1][2] == "Digital"
    whitespace = {r[0] for r in book["Whitespace"].iter_rows(values_only=True)}
    assert "Gamma Press" not in whitespace and "Alpha Verlag" in whitespace

    # and one click on the recommendation starts the offer
    page.go_back()
    section = page.get_by_test_id("section-recommendations")
    section.get_by_test_id("start-offer").first.click()
    expect(page).to_have_url(re.compile(r"/offers/\d+/edit/"))
    offer = Offer.objects.get(account=delta)
    assert offer.options.get().lines.get().product == segment["products"]["digital"]
    assert offer.created_by == cast.manager
    screenshot("upsell-offer-started")
    assert not page.console_errors
