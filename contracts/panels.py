"""The order situation panel (contracts, subscriptions, invoices) on the account 360."""

from django.db.models import Min

from accounts.panels import register, register_column
from contracts.models import Contract
from contracts.selectors import contract_situation


@register
def contracts_panel(*, account, user) -> dict:
    return {
        "template": "contracts/_account_panel.html",
        "situation": contract_situation(account=account),
    }


@register_column
def next_contract_end(accounts) -> None:
    """The account table's "Next contract end": the earliest end of a running
    contract (finalized or active)."""
    ends = dict(
        Contract.objects.filter(
            account_id__in=[a.pk for a in accounts], status__in=Contract.RUNNING
        )
        .values("account_id")
        .annotate(end=Min("end_on"))
        .values_list("account_id", "end")
    )
    for account in accounts:
        account.next_contract_end = ends.get(account.pk)
