"""The account table's rows (`jinja2/accounts/_account_rows.html`): every cell as the
list and the home page show it, escaped, in the reader's language."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.panels import fill_columns
from accounts.selectors import account_rows_for_user
from core.jinja2 import render_partial
from tests.factories import AccountFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def account_rows_html(accounts) -> str:
    """The rows as the list and the home page render them (columns filled first)."""
    accounts = list(accounts)
    fill_columns(accounts)
    return render_partial("accounts/_account_rows.html", {"accounts": accounts})


def rows_of(user) -> str:
    return account_rows_html(account_rows_for_user(user=user).order_by("name"))


def test_each_cell_of_a_row(cast):
    deputy = UserFactory(username="dep", first_name="Dana", last_name="Deputy")
    account = AccountFactory(
        name="Acme", owner=cast.kam, deputy=deputy, industry="Publishing",
        country="DE", tier="A", is_key_account=True,
        revenue_12m=Decimal("1234567.40"), revenue_prev_12m=Decimal("1000000"),
        last_touch_at=timezone.now(),
    )  # fmt: skip
    TaskFactory(
        account=account, assignee=cast.kam, due_at=timezone.now() - timedelta(days=2)
    )
    TaskFactory(
        account=account, assignee=cast.kam, due_at=timezone.now() + timedelta(days=2)
    )
    TaskFactory(
        account=account,
        assignee=cast.kam,
        due_at=timezone.now(),
        done_at=timezone.now(),
    )

    html = rows_of(cast.kam)

    assert (
        f'<a href="{reverse("accounts:detail", args=[account.pk])}" class="fw-semibold">Acme</a>'
        in html
    )
    assert 'title="Key account"' in html
    assert "Publishing · DE" in html
    assert '<span class="tier tier-A">A</span>' in html
    assert ">1,234,567<" in html
    assert '<span class="trend-up">' in html and "23.5 %" in html
    # two open tasks, one of them overdue; the done one is not counted
    assert '<span class="badge text-bg-danger" title="1 overdue">2</span>' in html
    assert ">today</span>" in html
    assert f"{cast.kam}" in html and "Deputy: Dana Deputy" in html


def test_missing_values_show_as_dashes_and_zero(cast):
    AccountFactory(owner=cast.kam, tier="", industry="", country="NL",
                   revenue_12m=Decimal("10"), revenue_prev_12m=Decimal("0"))  # fmt: skip

    html = rows_of(cast.kam)

    assert "<td>—</td>" in html  # tier
    assert '<td class="text-end text-nowrap">—</td>' in html  # trend
    assert '<span class="text-body-secondary">0</span>' in html  # tasks
    assert '<span class="text-body-secondary">never</span>' in html  # last touch
    assert '<div class="small text-body-secondary">NL</div>' in html
    assert "Deputy" not in html


def test_a_falling_trend_and_open_tasks_none_overdue(cast):
    account = AccountFactory(owner=cast.kam, revenue_12m=Decimal("50"),
                             revenue_prev_12m=Decimal("100"))  # fmt: skip
    TaskFactory(
        account=account, assignee=cast.kam, due_at=timezone.now() + timedelta(days=3)
    )

    html = rows_of(cast.kam)

    assert '<span class="trend-down">' in html and "-50.0 %" in html
    assert '<span class="badge text-bg-secondary" title="0 overdue">1</span>' in html


def test_names_are_escaped(cast):
    AccountFactory(owner=cast.kam, name='<script>alert("x")</script>',
                   industry="R&D <b>", country="DE")  # fmt: skip

    html = rows_of(cast.kam)

    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "R&amp;D &lt;b&gt; · DE" in html


def test_no_rows_say_so():
    assert "No accounts to show." in account_rows_html([])


def test_rows_in_german(cast):
    AccountFactory(owner=cast.kam, is_key_account=True, revenue_12m=Decimal("1234567"),
                   revenue_prev_12m=Decimal("1000000"))  # fmt: skip
    with translation.override("de"):
        html = rows_of(cast.kam)
        empty = account_rows_html([])

    assert ">1.234.567<" in html
    assert "23,5 %" in html
    assert '<span class="text-body-secondary">nie</span>' in html
    assert 'title="Key Account"' in html
    assert "Keine Kunden vorhanden." in empty


def test_next_contract_end_and_health_come_from_the_apps_above(
    cast, settings, tmp_path
):
    from contracts.models import Contract
    from core.dates import show_date
    from insights.models import HealthScore
    from tests.contracts.helpers import contract_for
    from tests.offers.helpers import ensure_defaults

    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()
    running = contract_for(cast.kam, finalize_by=cast.cs)
    account = running.account
    today = timezone.localdate()
    HealthScore.objects.create(account=account, computed_on=today - timedelta(days=1),
                               score=40)  # fmt: skip
    HealthScore.objects.create(account=account, computed_on=today, score=82)
    # the running contract's end
    Contract.objects.filter(pk=running.pk).update(end_on=today + timedelta(days=200))
    html = rows_of(cast.kam)
    assert show_date(today + timedelta(days=200)) in html
    assert '<span class="badge text-bg-success">82</span>' in html
    assert 'text-bg-danger">40' not in html  # only the latest score
    # an account with neither shows dashes, the health one saying why
    AccountFactory(name="Zeta", owner=cast.kam)
    zeta = rows_of(cast.kam).split("Zeta")[1]
    assert 'title="no score yet">—</span>' in zeta
