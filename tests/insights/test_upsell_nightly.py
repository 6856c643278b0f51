"""The company-wide upsell report reads the rows the nightly recompute wrote."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from insights.models import UpsellItem
from insights.services.upsell import upsell_recompute
from tests.factories import AccountFactory
from tests.insights.conftest import TODAY
from tests.insights.helpers import page_queries, subscribe
from tests.insights.test_upsell import report_for

pytestmark = pytest.mark.django_db
SECTIONS = ("recommendations", "headroom", "wallet", "trials", "ending")


def rows(data):
    return {
        key: [(r.account.pk, r.title, r.reason, r.value, r.product_id, r.quantity,
               r.contact_id, r.due_on) for r in data[key]]
        for key in SECTIONS
    }  # fmt: skip


@pytest.fixture
def nightly(settings):
    """Every selection counts as company-wide: the report reads stored rows."""
    settings.KAM_UPSELL_LIVE_LIMIT = 0


@pytest.mark.parametrize("who", ["admin", "manager", "kam", "manager2"])
def test_stored_rows_give_the_live_numbers(segment, cast, settings, who):
    live = report_for(getattr(cast, who))
    assert live["as_of"] is None
    upsell_recompute(today=TODAY)
    settings.KAM_UPSELL_LIVE_LIMIT = 0
    stored = report_for(getattr(cast, who))
    # then the same rows, reasons, totals and counts, and the time of the run
    assert stored["as_of"] is not None
    assert rows(stored) == rows(live)
    assert stored["totals"] == live["totals"]
    assert stored["counts"] == live["counts"]
    assert stored["total"] == live["total"]
    assert stored["by_family"] == live["by_family"]  # the chart's figures
    assert [m["account"].pk for m in stored["matrix"]] == [
        m["account"].pk for m in live["matrix"]
    ]


def test_manager_numbers_by_hand_from_stored_rows(segment, cast, nightly):
    acc1, acc2, _acc3, acc4, _acc5 = segment["acc"]
    upsell_recompute(today=TODAY)
    data = report_for(cast.manager)
    assert [(r.account.pk, r.title, r.value) for r in data["recommendations"]] == [
        (acc4.pk, "Digital", Decimal("3000.00"))
    ]
    assert [(r.account.pk, r.value) for r in data["ending"]] == [
        (acc1.pk, Decimal("600.00")),
        (acc4.pk, Decimal("4200.00")),
    ]
    assert [(r.account.pk, r.title) for r in data["wallet"]] == [
        (acc2.pk, "Share of wallet")
    ]
    assert data["total"] == Decimal("5100.00")
    # the other team's account is in the table but not in this manager's report
    assert UpsellItem.objects.filter(account=segment["acc"][2]).exists()
    names = {r.account.name for key in SECTIONS for r in data[key]}
    assert "Gamma Press" not in names


def test_without_a_nightly_run_the_report_is_computed_live(segment, cast, nightly):
    data = report_for(cast.manager)
    assert data["as_of"] is None
    assert data["total"] == Decimal("5100.00")


def test_a_rerun_replaces_the_rows(segment, cast):
    first = upsell_recompute(today=TODAY)
    before = sorted(UpsellItem.objects.values_list("account_id", "kind", "value"))
    # when it runs again, after Delta News's offer made it own Digital
    second = upsell_recompute(today=TODAY)
    assert second == first == UpsellItem.objects.count()
    assert sorted(UpsellItem.objects.values_list("account_id", "kind", "value")) == (
        before
    )
    subscribe(segment["acc"][3], segment["products"]["digital"], mrr="100")
    upsell_recompute(today=TODAY)
    assert not UpsellItem.objects.filter(
        account=segment["acc"][3], kind=UpsellItem.Kind.RECOMMENDATION
    ).exists()


def test_reasons_are_worded_in_the_readers_language(segment, cast, nightly):
    upsell_recompute(today=TODAY)
    with translation.override("de"):
        data = report_for(cast.manager)
        assert data["trials"][0].reason == "Test endet am 2026-12-10"
        assert data["wallet"][0].title == "Share of Wallet"
        assert data["wallet"][0].reason == (
            "Gibt 5.400 von möglichen 10.000 EUR im Jahr aus"
        )


def test_page_shows_the_top_rows_and_when_they_were_computed(
    client, segment, cast, nightly, settings
):
    upsell_recompute(today=TODAY)
    client.force_login(cast.manager)
    body = client.get(reverse("insights:upsell")).content.decode()
    assert 'data-testid="upsell-as-of"' in body
    assert "Company-wide figures from the nightly run" in body
    assert "overdue" not in body
    assert "5,100" in body
    # a run older than 36 hours is flagged
    UpsellItem.objects.update(computed_at=timezone.now() - timedelta(hours=40))
    body = client.get(reverse("insights:upsell")).content.decode()
    assert "The nightly run is overdue" in body


def test_page_lists_at_most_fifty_rows_a_section(client, cast, nightly):
    from tests.insights.helpers import family_product

    _family, product = family_product("BULK")
    for i in range(55):
        account = AccountFactory(name=f"Bulk {i:02}", owner=cast.kam,
                                 revenue_potential=Decimal(1000 + i))  # fmt: skip
        subscribe(account, product, quantity=1, mrr="10")
    upsell_recompute(today=TODAY)
    client.force_login(cast.kam)
    response = client.get(reverse("insights:upsell"))
    wallet = response.context["section_list"][-1]
    assert (wallet["key"], len(wallet["rows"]), wallet["count"]) == ("wallet", 50, 55)
    assert wallet["rows"][0].account.name == "Bulk 54"  # the largest gap first
    assert "The 50 largest of 55 rows" in response.content.decode()
    # the export has every row
    csv_body = client.get(
        reverse("insights:upsell"), {"format": "csv", "table": "2"}
    ).content.decode("utf-8-sig")
    assert csv_body.count("Bulk ") == 55


def test_stored_report_queries_do_not_grow(client, segment, cast, nightly):
    upsell_recompute(today=TODAY)
    client.force_login(cast.admin)

    def queries():
        return page_queries(client, reverse("insights:upsell"))

    before = queries()
    for i in range(12):
        extra = AccountFactory(name=f"More {i}", owner=cast.kam, industry="Publishing",
                               tier="A", revenue_potential=Decimal(99999))  # fmt: skip
        subscribe(extra, segment["products"]["print"], quantity=2, mrr="10")
    upsell_recompute(today=TODAY)
    assert queries() == before
