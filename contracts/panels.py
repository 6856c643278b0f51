"""The order situation panel (contracts, subscriptions, invoices) on the account 360."""

from accounts.panels import register
from contracts.selectors import contract_situation


@register
def contracts_panel(*, account, user) -> dict:
    return {
        "template": "contracts/_account_panel.html",
        "situation": contract_situation(account=account),
    }
