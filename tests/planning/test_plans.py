from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Task, TimelineEntry
from contracts.models import Invoice
from core.exceptions import ApplicationError
from planning.models import AccountPlan, PlanAction, PlanMonth
from planning.selectors import plan_performance
from planning.services import plans
from tests.core.test_pdf import pdf_text
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


NUMBERS = iter(range(1, 10_000))


def invoice(account, issued_on, net, *, kind="invoice", currency="EUR", corrects=None):
    n = [next(NUMBERS)]
    sign = -1 if kind == "credit_note" else 1
    net = Decimal(net) * sign
    return Invoice.objects.create(
        series="INV" if sign > 0 else "CN", year=issued_on.year, sequence=n[0],
        number=f"T-{n[0]:05d}", kind=kind, account=account, status="issued",
        issued_on=issued_on, due_on=issued_on + timedelta(days=14), currency=currency,
        net=net, tax=Decimal(0), gross=net, bill_to="x", corrects=corrects,
    )  # fmt: skip


@pytest.fixture
def plan(cast):
    account = AccountFactory(owner=cast.kam, name="Plan GmbH", tier="A")
    ContactFactory(account=account)
    return plans.plan_create(actor=cast.kam, account=account,
                             year=timezone.localdate().year)  # fmt: skip


def test_create_spreads_the_target_and_carries_the_swot_over(cast):
    year = timezone.localdate().year
    account = AccountFactory(owner=cast.kam)
    first = plans.plan_create(actor=cast.kam, account=account, year=year - 1)
    plans.plan_update(actor=cast.kam, plan=first, strengths="Loyal users\nBig archive",
                      contact_cadence_days=21)  # fmt: skip
    plan = plans.plan_create(actor=cast.kam, account=account, year=year)
    assert plan.strengths == "Loyal users\nBig archive"
    assert plan.contact_cadence_days == 21
    assert plan.swot()[0][2] == ["Loyal users", "Big archive"]
    plans.plan_update(actor=cast.kam, plan=plan, revenue_target=Decimal("1000"),
                      months=[Decimal(0)] * 12)  # fmt: skip
    targets = list(PlanMonth.objects.filter(plan=plan).values_list("target", flat=True))
    assert targets[:11] == [Decimal("83.33")] * 11 and targets[11] == Decimal("83.37")
    assert sum(targets) == Decimal("1000")
    with pytest.raises(ApplicationError, match="has a plan"):
        plans.plan_create(actor=cast.kam, account=account, year=year)
    with pytest.raises(ApplicationError, match="cannot change"):
        plans.plan_create(actor=cast.kam3, account=account, year=year + 1)
    assert AccountPlan.objects.filter(account=account).count() == 2


def test_target_against_invoiced_by_hand(plan, cast):
    year = plan.year
    plans.plan_update(actor=cast.kam, plan=plan, revenue_target=Decimal("12000"),
                      months=[Decimal(1000)] * 12)  # fmt: skip
    invoice(plan.account, date(year, 1, 15), "800")
    wrong = invoice(plan.account, date(year, 1, 20), "400")
    invoice(plan.account, date(year, 2, 3), "300", kind="credit_note", corrects=wrong)
    invoice(plan.account, date(year - 1, 12, 31), "999")  # last year: not counted
    perf = plan_performance(plan, today=date(year, 2, 28))
    assert perf["rows"][0]["actual"] == Decimal("1200.00")
    assert perf["rows"][1]["actual"] == Decimal("-300.00")
    assert perf["rows"][2]["actual"] is None  # March lies ahead
    assert perf["target_ytd"] == Decimal("2000") and perf["actual_ytd"] == Decimal(
        "900.00"
    )
    assert perf["ytd_percent"] == Decimal("45.0")


def test_actions_become_tasks_and_reviews_are_minuted(plan, cast):
    due = timezone.localdate() + timedelta(days=10)
    action = plans.action_add(actor=cast.kam, plan=plan, title="Webinar for editors",
                              owner=cast.manager, due_on=due, kind="campaign")  # fmt: skip
    task = Task.objects.get(pk=action.task_id)
    assert task.assignee == cast.manager and task.account == plan.account
    assert timezone.localtime(task.due_at).date() == due
    assert "Webinar for editors" in task.title
    with pytest.raises(ApplicationError, match="past"):
        plans.action_add(actor=cast.kam, plan=plan, title="Late", owner=cast.kam,
                         due_on=date(2000, 1, 1), kind="action")  # fmt: skip
    assert PlanAction.objects.count() == 1 and Task.objects.count() == 1
    plans.review_add(actor=cast.kam, plan=plan, held_on=timezone.localdate(),
                     minutes="Agreed on a pilot.", attendees="CFO, KAM")  # fmt: skip
    with pytest.raises(ApplicationError, match="minutes"):
        plans.review_add(actor=cast.kam, plan=plan, held_on=timezone.localdate(),
                         minutes=" ")  # fmt: skip
    assert plan.reviews.count() == 1
    assert TimelineEntry.objects.filter(
        account=plan.account, title__startswith="Account plan review"
    ).exists()


def test_agreement_needs_a_target_and_is_idempotent(plan, cast):
    contact = plan.account.contacts.get()
    with pytest.raises(ApplicationError, match="revenue target"):
        plans.plan_agree(actor=cast.kam, plan=plan, agreed_on=timezone.localdate(),
                         contact=contact)  # fmt: skip
    plans.plan_update(actor=cast.kam, plan=plan, revenue_target=Decimal("5000"))
    agreed = plans.plan_agree(actor=cast.kam, plan=plan,
                              agreed_on=timezone.localdate(), contact=contact)  # fmt: skip
    again = plans.plan_agree(actor=cast.kam, plan=plan,
                             agreed_on=timezone.localdate(), contact=None)  # fmt: skip
    assert agreed.status == again.status == "agreed" and again.agreed_with == contact
    assert plans.plan_reopen(actor=cast.kam, plan=plan).status == "draft"


@pytest.mark.pdf
def test_pages_pdf_and_access(client, plan, cast):
    client.force_login(cast.kam)
    response = client.post(reverse("planning:plan-edit", args=[plan.pk]), {
        "summary": "Grow digital", "strengths": "Brand\nReach", "weaknesses": "",
        "opportunities": "Archive", "threats": "Budget cuts", "revenue_target": "24000",
        "budget": "1500", "contact_cadence_days": "",
        **{f"m{i}": "0" for i in range(1, 13)},
    })  # fmt: skip
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.revenue_target == Decimal("24000")
    assert plan.months.get(month=1).target == Decimal("2000.00")
    client.post(reverse("planning:objective-add", args=[plan.pk]), {
        "title": "Digital share", "metric": "% of revenue", "target_value": "40",
        "actual_value": "10",
    })  # fmt: skip
    page = client.get(reverse("planning:plan", args=[plan.pk])).content.decode()
    assert "Budget cuts" in page and "Digital share" in page and "25 %" in page
    bad = client.post(reverse("planning:plan-edit", args=[plan.pk]),
                      {"revenue_target": "-5"})  # fmt: skip
    assert bad.status_code == 200
    plan.refresh_from_db()
    assert plan.revenue_target == Decimal("24000")
    pdf = client.get(reverse("planning:plan-pdf", args=[plan.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Account plan" in text and "Budget cuts" in text and "Digital share" in text
    assert "24,000.00" in text
    # another team: not found; the manager of the team: read
    client.force_login(cast.kam3)
    assert client.get(reverse("planning:plan", args=[plan.pk])).status_code == 404
    assert client.get(reverse("planning:plan-pdf", args=[plan.pk])).status_code == 404
    client.force_login(cast.manager)
    assert client.get(reverse("planning:plan", args=[plan.pk])).status_code == 200
    client.force_login(cast.cs)
    assert client.post(reverse("planning:plan-agree", args=[plan.pk]),
                       {"agreed_on": "2026-01-01"}).status_code == 403  # fmt: skip
