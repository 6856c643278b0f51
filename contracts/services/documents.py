"""The contract's PDF, rendered outside any row lock."""

from django.template.loader import render_to_string
from django.utils import translation

from contracts.models import Contract
from core.pdf import html_to_pdf


def contract_pdf(contract: Contract) -> bytes:
    """Render the contract document in the contract's language."""
    contract = (
        Contract.objects.select_related("account", "contact", "account__owner")
        .prefetch_related("lines__product")
        .get(pk=contract.pk)
    )
    with translation.override(contract.language):
        html = render_to_string(
            "pdf/contracts/contract.html",
            {
                "contract": contract,
                "lines": list(contract.lines.all()),
                "totals": contract.totals(),
                "language": contract.language,
            },
        )
    return html_to_pdf(html)
