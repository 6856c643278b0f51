"""Order history: what an account bought, imported from the ERP (accounts.services
.imports) and invoiced by KAM (contracts.services.billing). The account's revenue,
trend, ABC tier and plan actuals read it; an order counts once.

An invoice line of KAM's is recorded under the reference `<invoice number>/<line>`
(INV-2026-000123/1). The ERP exports KAM's invoices under the same reference, and
its import then updates that row instead of adding a second one.
"""

from accounts.models import OrderLine


def invoice_line_ref(number: str, position: int) -> str:
    """The order history's reference of an invoice line."""
    return f"{number}/{position}"


def order_lines_record(rows: list[OrderLine]) -> None:
    """Add order lines in bulk; a line whose reference is already there (imported
    before) is left as it is."""
    OrderLine.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
