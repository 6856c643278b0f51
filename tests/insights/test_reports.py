"""The reports as objects: the page, the workbook and the nightly precompute use
the same class, built from a user and a filter, not from a request."""

import pytest
from django.utils import timezone

from core.reports import registered_reports, report_class
from insights.models import HealthScore, UpsellItem
from insights.reports import REPORTS, HealthReport, UpsellReport
from tests.insights.conftest import build_segment

pytestmark = pytest.mark.django_db


def test_every_report_is_registered_by_its_key():
    assert [r.key for r in registered_reports()] == [r.key for r in REPORTS]
    assert report_class("health") is HealthReport
    with pytest.raises(LookupError, match="no report 'nope'"):
        report_class("nope")


@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.key)
def test_a_report_builds_its_page_and_its_sheets_without_a_request(cast, report):
    build_segment(cast)
    built = report(user=cast.manager, params={"team": str(cast.kam.team_id)})
    assert built.scope.team == cast.kam.team
    page = built.page()
    assert page["active"] == report.key and page["scope"] is built.scope
    sheets = built.sheets()
    assert sheets and all(len(headers) > 1 for _title, headers, _rows in sheets)
    for _title, headers, rows in sheets:
        rows = list(rows() if callable(rows) else rows)
        assert all(len(row) == len(headers) for row in rows)
    assert built.filename == f"{report.slug}-{built.today.isoformat()}"


def test_a_bad_filter_keeps_the_defaults(cast):
    built = UpsellReport(user=cast.kam, params={"team": "x", "start": "2026-13-45"})
    assert built.scope.team is None
    assert built.scope.end == built.today
    assert not built.scope.form.is_valid()


def test_the_nightly_precompute_is_the_reports_own(cast):
    build_segment(cast)
    result = {}
    for report in registered_reports():
        result.update(report.precompute(today=timezone.localdate()))
    assert result["upsell_items"] == UpsellItem.objects.count() > 0
    assert result["health_scores"] == HealthScore.objects.count()
