"""What customer services and the KAM read once the term is billed."""

from datetime import timedelta

import pytest
from django.urls import reverse

from core.dates import show_date
from tests.clock import upcoming
from tests.contracts.helpers import contract_with

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("auto_renew", [True, False])
def test_a_fully_billed_subscription_says_when_it_bills_next(cast, client, auto_renew):
    # billed yearly over a one-year term: the first invoice bills the whole term
    contract = contract_with(
        cast.kam, cast.cs, start_on=upcoming(1, 31), billing_period="yearly",
        auto_renew=auto_renew, lines=[("Y", "yearly", "1200", 1, 0)],
    )  # fmt: skip
    assert contract.subscriptions.get().next_billing_on is None
    client.force_login(cast.kam)
    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    renews_on = show_date(contract.end_on + timedelta(days=1))
    if auto_renew:
        assert f"with the renewal on {renews_on}" in html
    else:
        assert "term fully billed" in html


def test_the_admin_contract_list_shows_the_term_in_one_column(cast, client):
    contract = contract_with(
        cast.kam,
        cast.cs,
        start_on=upcoming(1, 31),
        lines=[("M", "monthly", "10", 1, 0)],
    )
    client.force_login(cast.cs)
    html = client.get(reverse("admin:contracts_contract_changelist")).content.decode()
    term = f"{show_date(contract.start_on)} – {show_date(contract.end_on)}"
    assert term in html
    for column in ("term", "cancel_by_short", "signed_on", "finalized_on"):
        assert f"column-{column}" in html
    assert "column-start_on" not in html and "column-finalized_at" not in html
