from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Handoff
from accounts.services import handoff
from core.exceptions import ApplicationError
from core.models import Team
from core.roles import Role
from tests.conftest import account_360
from tests.factories import AccountFactory, make_user

pytestmark = pytest.mark.django_db


def submit(cast, **kwargs):
    data = {
        "actor": cast.manager,
        "name": "Meridian Klinikverbund",
        "country": "DE",
        "needs": "Research portal for 400 physicians",
        "complexity": "complex",
        "proposed_path": "key_account",
        "team": cast.kam.team,
        "expected_annual_revenue": Decimal("180000"),
    }
    return handoff.handoff_submit(**(data | kwargs))


def test_key_account_goes_to_the_manager_with_check_ins(cast):
    item = submit(cast)
    account = item.account
    assert account.owner == cast.manager
    assert account.is_key_account
    assert item.status == Handoff.Status.AWAITING_KAM
    titles = sorted(account.tasks.values_list("title", flat=True))
    assert titles[0].startswith("30-day check-in")
    assert any(t.startswith("Assign a key account manager") for t in titles)
    due_days = sorted(
        (t.due_at.date() - timezone.localdate()).days
        for t in account.tasks.filter(title__contains="check-in")
    )
    assert due_days == [30, 60, 90]


def test_manager_assigns_a_kam_of_the_team(cast, client):
    item = submit(cast)
    client.force_login(cast.manager)
    response = client.post(
        reverse("accounts:handoff-assign", args=[item.pk]), {"kam": cast.kam.pk}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    account = Account.objects.get(pk=item.account_id)
    assert account.owner == cast.kam
    assert item.status == Handoff.Status.ROUTED
    # check-ins moved to the KAM; the "assign" task is done
    open_tasks = account.tasks.filter(done_at__isnull=True)
    assert set(open_tasks.values_list("assignee__username", flat=True)) == {"kam"}
    assert open_tasks.count() == 3


def test_assigning_someone_outside_the_team_is_refused(cast):
    item = submit(cast)
    with pytest.raises(ApplicationError, match="key account manager of North"):
        handoff.handoff_assign_kam(handoff=item, kam=cast.kam3, actor=cast.manager)
    with pytest.raises(ApplicationError, match="team's manager"):
        handoff.handoff_assign_kam(handoff=item, kam=cast.kam, actor=cast.manager2)
    item.refresh_from_db()
    assert item.status == Handoff.Status.AWAITING_KAM


def test_outbound_goes_to_the_least_busy_outbound_member(cast):
    outbound = Team.objects.create(
        name="Outbound", is_outbound=True, manager=cast.manager2
    )
    busy = make_user("ob1", Role.KEY_ACCOUNT_MANAGER, team=outbound)
    free = make_user("ob2", Role.KEY_ACCOUNT_MANAGER, team=outbound)
    AccountFactory(owner=busy)
    item = submit(cast, proposed_path="outbound", team=None, complexity="simple")
    assert item.account.owner == free
    assert item.status == Handoff.Status.ROUTED
    assert item.account.tasks.count() == 3  # 30/60/90 check-ins


def test_key_account_without_a_team_is_refused(cast):
    with pytest.raises(ApplicationError, match="Choose the key account team"):
        submit(cast, team=None)
    assert not Account.objects.exists()


def test_handoff_form_shows_errors(client, cast):
    client.force_login(cast.manager)
    response = client.post(
        reverse("accounts:handoff-create"),
        {"name": "X", "country": "D1", "needs": "", "complexity": "simple",
         "proposed_path": "key_account", "expected_annual_revenue": "-5"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert "two-letter ISO code" in html
    assert not Account.objects.exists()


def test_check_in_dates_are_at_nine(cast):
    item = submit(cast)
    first = item.account.tasks.filter(title__contains="30-day").get()
    assert timezone.localtime(first.due_at).hour == 9
    assert first.due_at > timezone.now() + timedelta(days=29)


def _form(cast, **extra):
    return {
        "name": "Meridian Klinikverbund", "country": "DE", "needs": "Portal",
        "complexity": "simple", "proposed_path": "key_account",
        "team": cast.kam.team.pk, "expected_annual_revenue": "1000", **extra,
    }  # fmt: skip


def test_a_customer_name_that_exists_is_refused_unless_confirmed(client, cast):
    existing = AccountFactory(owner=cast.kam3, name="Meridian Klinikverbund")
    client.force_login(cast.manager)
    url = reverse("accounts:handoff-create")
    # a second account of the same name (any case, any spaces) needs a tick
    response = client.post(url, _form(cast, name="  meridian KLINIKVERBUND "))
    html = response.content.decode()
    assert response.status_code == 200
    assert "already exists" in html and "Create a second account" in html
    assert list(Account.objects.all()) == [existing] and not Handoff.objects.exists()
    # ticked: it is another customer of that name
    response = client.post(url, _form(cast, allow_duplicate="on"))
    assert response.status_code == 302
    assert Account.objects.filter(name="Meridian Klinikverbund").count() == 2


def test_the_handoffs_contact_and_products_are_on_the_account(client, cast):
    from tests.factories import ProductFactory

    products = [ProductFactory(name="Research Portal"), ProductFactory(name="Archive")]
    client.force_login(cast.manager)
    response = client.post(
        reverse("accounts:handoff-create"),
        _form(cast, products=[p.pk for p in products], contact_first_name="Lea",
              contact_last_name="Brandt", contact_email="lea.brandt@meridian.example",
              contact_job_title="Head of Research"),
    )  # fmt: skip
    assert response.status_code == 302
    account = Account.objects.get(name="Meridian Klinikverbund")
    contact = account.contacts.get()
    assert (
        contact.first_name,
        contact.last_name,
        contact.email,
        contact.job_title,
    ) == ("Lea", "Brandt", "lea.brandt@meridian.example", "Head of Research")
    html = account_360(client, account)
    assert "From the sales handoff" in html
    assert "Research Portal" in html and "Archive" in html and "Lea Brandt" in html


def test_a_contact_without_a_last_name_is_refused(client, cast):
    client.force_login(cast.manager)
    response = client.post(
        reverse("accounts:handoff-create"),
        _form(cast, contact_email="someone@meridian.example"),
    )
    assert response.status_code == 200
    assert "last name" in response.content.decode()
    assert not Account.objects.exists()
