from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from renewals.models import Churn, RenewalRun
from tests.renewals.conftest import clone, day_after, run_on


def _ending_in(contract, days: int, **extra) -> None:
    """Make `contract` a running 12-month term that ends in `days` days. Moving only
    its end broke on days when the fixture's start (the first of next month) came
    after that end (issue 19: red on 2 December)."""
    end = timezone.localdate() + timedelta(days=days)
    Contract.objects.filter(pk=contract.pk).update(
        start_on=end - relativedelta(years=1) + timedelta(days=1), end_on=end, **extra
    )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_pipeline_buckets_and_risk_flags(client, cast, standing, fixed):
    _ending_in(standing, 20)
    # the fixed one: its account is another KAM's; the manager sees both
    _ending_in(fixed, 75)
    client.force_login(cast.manager)
    response = client.get(reverse("renewals:pipeline"))
    html = response.content.decode()
    summary = {s["bucket"]: s for s in response.context["summary"]}
    assert summary[30]["auto"] == 1 and summary[90]["manual"] == 1
    assert summary[90]["at_risk"] == 1  # manual, no renewal offer yet
    assert "No renewal offer yet" in html and "pipeline-data" in html
    assert standing.number in html and fixed.number in html
    # filters
    manual = client.get(reverse("renewals:pipeline"), {"kind": "manual"}).context
    assert [r.contract.pk for r in manual["rows"]] == [fixed.pk]
    risky = client.get(reverse("renewals:pipeline"), {"risk": "on"}).context
    assert [r.contract.pk for r in risky["rows"]] == [fixed.pk]
    short = client.get(reverse("renewals:pipeline"), {"horizon": "30"}).context
    assert [r.contract.pk for r in short["rows"]] == [standing.pk]


def test_kam_sees_only_own_contracts_in_the_pipeline(client, cast, standing, fixed):
    _ending_in(standing, 20)
    _ending_in(fixed, 20)
    client.force_login(cast.kam)
    rows = client.get(reverse("renewals:pipeline")).context["rows"]
    assert [r.contract.pk for r in rows] == [standing.pk]
    client.force_login(cast.kam3)
    assert client.get(reverse("renewals:pipeline")).context["rows"] == []


def test_pipeline_queries_do_not_grow(client, cast, standing):
    _ending_in(standing, 20)
    client.force_login(cast.kam)
    client.get(reverse("renewals:pipeline"))  # the settings row is made once
    small = _queries(client, reverse("renewals:pipeline"))
    for copy in clone(standing, 8):
        _ending_in(copy, 100, notice_received_on=timezone.localdate())
    assert len(client.get(reverse("renewals:pipeline")).context["rows"]) == 9
    assert _queries(client, reverse("renewals:pipeline")) == small


def test_recovery_list_reason_and_win_back(client, cast, fixed):
    run_on(day_after(fixed.end_on))
    churn = Churn.objects.get()
    client.force_login(cast.kam3)  # another team: nothing to see
    assert client.get(reverse("renewals:recovery")).context["rows"] == []
    assert client.get(reverse("renewals:churn", args=[churn.pk])).status_code == 404
    assert client.post(reverse("renewals:win-back", args=[churn.pk])).status_code == 404
    client.force_login(cast.kam2)
    html = client.get(reverse("renewals:recovery")).content.decode()
    assert fixed.account.name in html and "not recorded" in html
    # bad input: a clear message, nothing stored
    url = reverse("renewals:churn", args=[churn.pk])
    bad = client.post(url, {"reason": "other", "note": ""})
    assert bad.status_code == 400 and "describe the reason" in bad.content.decode()
    assert client.post(url, {"reason": "nonsense"}).status_code == 400
    churn.refresh_from_db()
    assert churn.reason == ""
    assert client.post(url, {"reason": "price", "note": "Budget"}).status_code == 302
    churn.refresh_from_db()
    assert churn.reason == "price" and churn.reason_by == cast.kam2
    response = client.post(reverse("renewals:win-back", args=[churn.pk]))
    churn.refresh_from_db()
    assert response.status_code == 302 and churn.winback_offer is not None
    assert response["Location"] == reverse("offers:edit", args=[churn.winback_offer.pk])


def test_recovery_queries_do_not_grow(client, cast, fixed):
    run_on(day_after(fixed.end_on))
    client.force_login(cast.manager)
    small = _queries(client, reverse("renewals:recovery"))
    from tests.factories import AccountFactory

    for _ in range(5):
        account = AccountFactory(owner=cast.kam2, lifecycle="lost")
        Churn.objects.create(
            account=account, contract=fixed, lost_on=fixed.end_on, currency="USD",
            lost_arr=100, reason="price",
        )  # fmt: skip
    assert len(client.get(reverse("renewals:recovery")).context["rows"]) == 6
    assert _queries(client, reverse("renewals:recovery")) == small


@pytest.mark.parametrize("who", ["kam", "kam2", "norole"])
def test_runs_are_for_managers_cs_and_admins(client, cast, who):
    run = RenewalRun.objects.create(business_date=timezone.localdate())
    client.force_login(getattr(cast, who))
    assert client.get(reverse("renewals:runs")).status_code == 403
    assert client.get(reverse("renewals:run", args=[run.pk])).status_code == 403


def test_run_pages_list_counts_and_failures(client, cast, standing):
    from renewals.models import RenewalFailure

    batch = run_on(day_after(standing.end_on))
    assert batch.counts["renewed"] == 1
    run = RenewalRun.objects.get()
    RenewalFailure.objects.create(
        run=run, step="billing", contract=standing, error="boom"
    )
    for who in ("manager", "cs", "admin"):
        client.force_login(getattr(cast, who))
        html = client.get(reverse("renewals:runs")).content.decode()
        assert "standing orders renewed 1" in html
        detail = client.get(reverse("renewals:run", args=[run.pk])).content.decode()
        assert "boom" in detail and standing.number in detail
    client.force_login(cast.admin)
    assert (
        client.get(reverse("admin:renewals_renewalrun_changelist")).status_code == 200
    )
    assert (
        client.get(
            reverse("admin:renewals_renewalrun_change", args=[run.pk])
        ).status_code
        == 200
    )


def test_notice_form(client, cast, standing):
    url = reverse("contracts:notice", args=[standing.pk])
    client.force_login(cast.kam3)
    assert client.get(url).status_code == 404
    client.force_login(cast.kam)
    # too late: refused with the date it could take effect, nothing changes
    Contract.objects.filter(pk=standing.pk).update(
        cancel_by=timezone.localdate() - timedelta(days=1)
    )
    late = client.post(url, {"received_on": timezone.localdate().isoformat()})
    assert late.status_code == 400 and "could take effect" in late.content.decode()
    standing.refresh_from_db()
    assert standing.auto_renew
    assert client.post(url, {"received_on": "tomorrow"}).status_code == 400
    Contract.objects.filter(pk=standing.pk).update(
        cancel_by=timezone.localdate() + timedelta(days=10)
    )
    ok = client.post(
        url, {"received_on": timezone.localdate().isoformat(), "reason": "Merger"}
    )
    assert ok.status_code == 302
    standing.refresh_from_db()
    assert not standing.auto_renew and standing.notice_reason == "Merger"
    html = client.get(standing.get_absolute_url()).content.decode()
    assert 'data-testid="notice-banner"' in html and "record-notice" not in html


def test_contract_page_shows_terms_and_renewal_diff(client, cast, fixed):
    from renewals.models import RenewalConfig

    run_on(fixed.end_on - timedelta(days=RenewalConfig.get().lead_days))
    client.force_login(cast.kam2)
    html = client.get(fixed.get_absolute_url()).content.decode()
    assert 'data-testid="renewal-diff"' in html and 'data-testid="terms"' in html
