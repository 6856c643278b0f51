import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from insights.models import FamilyAffinity, VolumeBenchmark
from insights.selectors.upsell import upsell_report
from offers.models import Offer
from tests.conftest import xlsx_export
from tests.factories import AccountFactory
from tests.insights.conftest import TODAY
from tests.insights.helpers import page_queries, subscribe

pytestmark = pytest.mark.django_db


def report_for(user, **params):
    from insights.filters import report_scope

    return upsell_report(report_scope(user=user, params=params), today=TODAY)


def test_affinity_support_confidence_lift_by_hand(segment):
    products = segment["products"]
    # given 5 accounts: Print 4, Digital 2, both 2 → support 2/5, conf 2/4, lift .5/.4
    rule = FamilyAffinity.objects.get(
        antecedent=products["print"].family, consequent=products["digital"].family
    )
    # then
    assert (rule.segment_size, rule.antecedent_count, rule.both_count) == (5, 4, 2)
    assert rule.support == Decimal("0.4000")
    assert rule.confidence == Decimal("0.5000")
    assert rule.lift == Decimal("1.250")
    assert rule.typical_arr == Decimal("3000.00")  # median of 2,400 and 3,600
    bench = VolumeBenchmark.objects.get(product=products["print"])
    assert (bench.holders, bench.median_quantity) == (4, Decimal("15.00"))


def test_manager_report_numbers_by_hand(segment, cast):
    acc1, acc2, _acc3, acc4, _acc5 = segment["acc"]
    data = report_for(cast.manager)
    # recommendation: Delta News lacks Digital (Print → Digital, lift 1.25)
    recs = [(r.account.pk, r.title, r.value) for r in data["recommendations"]]
    assert recs == [(acc4.pk, "Digital", Decimal("3000.00"))]
    reason = data["recommendations"][0].reason
    assert "50 %" in reason and "lift 1.25" in reason and "support 40 %" in reason
    # headroom: median 15 seats; Delta 10 more at 120, Alpha 5 more at 120
    heads = [(r.account.pk, r.quantity, r.value) for r in data["headroom"]]
    assert heads == [
        (acc4.pk, Decimal("10.00"), Decimal("1200.00")),
        (acc1.pk, Decimal("5.00"), Decimal("600.00")),
    ]
    assert [(r.account.pk, r.value) for r in data["trials"]] == [
        (acc1.pk, Decimal("300.00"))
    ]
    assert [(r.account.pk, r.value) for r in data["wallet"]] == [
        (acc2.pk, Decimal("4600.00"))  # 10,000 − (1,800 + 3,600)
    ]
    # contracts ending within 180 days where the account has room
    assert [(r.account.pk, r.value) for r in data["ending"]] == [
        (acc1.pk, Decimal("600.00")),
        (acc4.pk, Decimal("4200.00")),
    ]
    assert data["total"] == Decimal("5100.00")  # 3,000 + 1,800 + 300
    # whitespace: Alpha owns Print and Digital, tries Archive
    families = [f.name for f in data["families"]]
    alpha = next(m for m in data["matrix"] if m["account"].pk == acc1.pk)
    assert dict(zip(families, alpha["cells"], strict=True)) == {
        "Archive": "trial",
        "Digital": "owned",
        "Print": "owned",
    }


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("kam", {"Alpha Verlag", "Delta News"}),
        ("manager", {"Alpha Verlag", "Beta Medien", "Delta News", "Epsilon Books"}),
        ("kam3", {"Gamma Press"}),
        ("manager2", {"Gamma Press"}),
    ],
)
def test_each_role_sees_only_its_accounts(segment, cast, who, names):
    data = report_for(getattr(cast, who))
    assert {m["account"].name for m in data["matrix"]} == names
    shown = {r.account.name for key in ("recommendations", "headroom", "trials",
             "wallet", "ending") for r in data[key]}  # fmt: skip
    assert shown <= names


def test_team_and_kam_filters(segment, cast):
    kam2 = {
        m["account"].name for m in report_for(cast.manager, kam=cast.kam2.pk)["matrix"]
    }
    assert kam2 == {"Beta Medien", "Epsilon Books"}
    # a KAM of another team is not a valid choice: the filter falls back to all
    foreign = report_for(cast.manager, kam=cast.kam3.pk)
    assert "Gamma Press" not in {m["account"].name for m in foreign["matrix"]}


def test_page_renders_for_manager_with_one_click_offers(client, segment, cast):
    client.force_login(cast.manager)
    response = client.get(reverse("insights:upsell"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Delta News" in body and "Gamma Press" not in body
    assert 'data-testid="start-offer"' in body
    assert "5,100" in body or "5100" in body
    # the chart: the total's potential per product family, stacked by section
    chart = response.context["potential_chart"]
    zero = Decimal(0)
    assert chart["labels"] == ["Digital", "Print", "Archive"]
    assert [(d["label"], d["data"]) for d in chart["datasets"]] == [
        ("Accounts like this also buy", [Decimal("3000.00"), zero, zero]),
        ("Volume headroom", [zero, Decimal("1800.00"), zero]),
        ("Trials to convert", [zero, zero, Decimal("300.00")]),
    ]
    # the whitespace (a Jinja2 partial): Alpha owns Print and Digital, tries Archive
    assert body.count('<span class="ws ws-owned" title="owned"></span>') >= 2
    assert '<span class="ws ws-trial" title="in trial"></span>' in body
    assert '<span class="ws" title="not owned"></span>' in body
    # every one-click offer form carries the CSRF token
    assert (
        body.count('name="csrfmiddlewaretoken"')
        >= body.count('data-testid="start-offer"')
        > 0
    )
    assert 'id="potential-data"' in body and 'data-chart="potential-data"' in body


def test_one_click_starts_an_offer_with_the_recommended_product(client, segment, cast):
    acc4 = segment["acc"][3]
    client.force_login(cast.kam)
    data = report_for(cast.kam)
    row = data["recommendations"][0]
    # when the button's form is posted
    response = client.post(
        reverse("offers:create", args=[acc4.pk])
        + f"?product={row.product_id}&quantity={row.quantity}",
        {
            "title": row.title,
            "contact": row.contact_id,
            "valid_until": "2099-01-31",
            "options": "Standard",
        },
    )
    # then a draft offer with one Digital line exists for Delta News
    offer = Offer.objects.get(account=acc4)
    assert response.status_code == 302
    line = offer.options.get().lines.get()
    assert line.product == segment["products"]["digital"]
    assert line.quantity == Decimal("1.00")


def test_csv_and_xlsx_exports_neutralise_formulas(
    client, segment, cast, django_capture_on_commit_callbacks
):
    acc4 = segment["acc"][3]
    acc4.name = '=HYPERLINK("http://x")'
    acc4.save(update_fields=["name"])
    client.force_login(cast.kam)
    csv_response = client.get(reverse("insights:upsell"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Account"
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][4] == "3000.00"
    xlsx = xlsx_export(
        client, reverse("insights:upsell"), {}, django_capture_on_commit_callbacks
    )
    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames[0] == "Recommendations"
    assert "Whitespace" in book.sheetnames
    values = [c.value for c in book["Recommendations"][2]]
    assert values[0].startswith("'=")
    assert Decimal(str(values[4])) == Decimal("3000")


def test_bad_filter_input_shows_a_message_and_keeps_defaults(client, segment, cast):
    client.force_login(cast.manager)
    response = client.get(
        reverse("insights:upsell"), {"start": "2026-05-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "The period must start before it ends." in response.content.decode()


def test_constant_queries(client, segment, cast):
    product = segment["products"]["print"]
    client.force_login(cast.manager)

    def queries():
        return page_queries(client, reverse("insights:upsell"))

    before = queries()
    for i in range(12):
        extra = AccountFactory(
            name=f"More {i}", owner=cast.kam, industry="Publishing", tier="A"
        )
        subscribe(extra, product, quantity=2, mrr="10")
    assert queries() == before


def test_tabs_keep_each_reports_own_default_period(client, segment, cast):
    client.force_login(cast.manager)
    # no period chosen: the portfolio tab keeps its own 3-year default
    body = client.get(reverse("insights:upsell")).content.decode()
    assert 'href="/insights/portfolio/?"' in body
    # a chosen period and team travel with the tabs
    team = cast.kam.team.pk
    body = client.get(
        reverse("insights:upsell"), {"start": "2026-01-01", "team": team}
    ).content.decode()
    assert f'href="/insights/portfolio/?start=2026-01-01&amp;team={team}"' in body
