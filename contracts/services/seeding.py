"""Seeded history for the demo and the large dataset: contract rows loaded in bulk,
and terms moved into the past (a fixture's time travel, which no business flow
does). The contracts app owns these writes too; `seed_demo` calls them, and they
refuse to run under production settings."""

from datetime import date

from django.conf import settings
from django.db import connection
from django.utils import timezone

from contracts.models import (
    Contract,
    ContractLine,
    ContractTerm,
    InvoiceLine,
    Subscription,
)
from contracts.services.terms import cancel_by_date
from core.bulk import load_rows
from core.exceptions import ApplicationError

LOADABLE = (Contract, ContractLine, ContractTerm, Subscription)


def _not_in_production() -> None:
    if settings.KAM_ENVIRONMENT == "production":
        raise ApplicationError("Seeded history is never written in production.")


def seeded_rows_load(model, rows: list[dict], *, returning: bool = False) -> list[int]:
    """Load seeded contracts, their lines, terms or subscriptions in bulk."""
    _not_in_production()
    if model not in LOADABLE:
        raise ValueError(f"{model.__name__} is not a seeded contracts table")
    return load_rows(model, rows, returning=returning)


def seeded_term_move(contract: Contract, *, start_on: date, end_on: date) -> None:
    """Shift a finalized contract's term (its subscriptions and its first invoice's
    period with it), e.g. a year that ended yesterday for the nightly job to renew."""
    _not_in_production()
    contract.refresh_from_db()
    cancel_by = cancel_by_date(
        end_on=end_on, notice_days=contract.notice_days, auto_renew=contract.auto_renew
    )
    Contract.objects.filter(pk=contract.pk).update(
        start_on=start_on, end_on=end_on, cancel_by=cancel_by
    )
    ContractTerm.objects.filter(contract=contract).update(
        start_on=start_on, end_on=end_on, cancel_by=cancel_by
    )
    Subscription.objects.filter(contract=contract).update(
        start_on=start_on, end_on=end_on, next_billing_on=None
    )
    # the first invoice billed the whole (yearly) term: it moves along
    InvoiceLine.objects.filter(subscription__contract=contract).update(
        period_start=start_on, period_end=end_on
    )


def seeded_manual_renewal(contract: Contract) -> None:
    """Make a seeded contract one that does not renew by itself."""
    _not_in_production()
    Contract.objects.filter(pk=contract.pk).update(auto_renew=False)


def seeded_invoices_generate(
    contracts: list[int], accounts: list[int], *, total: int, today: date
) -> None:
    """`total` seeded invoices of one line each (series L), spread over the
    contracts (`accounts[i]` is contract i's account): paid, except the last
    months' (open, some overdue).

    By INSERT … SELECT: made row by row in Python for COPY, the 1,000,000 (and
    their lines) took 140 s. Days back (0–900) and amounts (100–20,000) are spread
    by fixed formulas."""
    _not_in_production()
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH src AS (SELECT i, c.contract, c.account, "
            " %(today)s::date - ((i * 7907 + 17) %% 901)::int AS issued, "
            " (100 + (i * 48271) %% 19901)::numeric AS net "
            " FROM generate_series(0::bigint, %(total)s - 1) AS i "
            " JOIN unnest(%(contracts)s::bigint[], %(accounts)s::bigint[]) "
            " WITH ORDINALITY AS c(contract, account, k) ON c.k = i %% %(nc)s + 1), "
            "ins AS (INSERT INTO contracts_invoice (created_at, updated_at, series, "
            " year, sequence, number, kind, account_id, contract_id, status, "
            " issued_on, due_on, currency, net, tax, gross, bill_to, vat_id, email, "
            " note, paid_on, sent_at, pdf_sha256, parties, buyer_reference, "
            " purchase_order_ref, tax_note, einvoice_format, einvoice_error) "
            " SELECT %(now)s, %(now)s, 'L', extract(year FROM issued)::int, i + 1, "
            " 'L-' || lpad((i + 1)::text, 7, '0'), 'invoice', account, contract, "
            " CASE WHEN %(today)s::date - issued > 60 THEN 'paid' "
            "  WHEN %(today)s::date - issued > 30 THEN 'overdue' ELSE 'sent' END, "
            " issued, issued + 30, 'EUR', net, round(net * 0.19, 2), "
            " net + round(net * 0.19, 2), 'Account ' || account, '', '', '', "
            " CASE WHEN %(today)s::date - issued > 60 THEN issued + 20 END, "
            " (issued + time '08:00') AT TIME ZONE 'UTC', '', '{}', '', '', '', "
            " 'pdf', '' FROM src "
            " RETURNING id, net) "
            "INSERT INTO contracts_invoiceline (invoice_id, is_credit, description, "
            "quantity, unit_code, net, tax_rate, tax_category, position) "
            "SELECT id, false, 'Subscription', 1, 'C62', net, 19, 'S', 1 FROM ins",
            {"now": timezone.now(), "today": today, "total": total,
             "contracts": contracts, "nc": len(contracts), "accounts": accounts},
        )  # fmt: skip
