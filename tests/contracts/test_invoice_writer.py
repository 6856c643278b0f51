"""One writer issues every invoice (contracts.services.billing.invoices_issue): the
first invoice, a credit note and the nightly job's thousands alike. And one plan
(`period_invoice_plan`, pure) says what the nightly job bills."""

import ast
import re
from collections import namedtuple
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation

from accounts.models import TimelineEntry
from contracts.models import Invoice
from contracts.services import billing
from tests.contracts.helpers import contract_for
from tests.offers.helpers import ensure_defaults

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def draft(contract, *, kind=Invoice.Kind.INVOICE, net=Decimal("100.00"), corrects=None):
    return billing.InvoiceDraft(
        account_id=contract.account_id, contract_id=contract.pk,
        currency="EUR", issued_on=timezone.localdate(),
        due_on=timezone.localdate() + timedelta(days=14), bill_to="Acme\nHamburg",
        vat_id="", email="ap@acme.example", kind=kind, corrects_id=corrects,
        lines=[{"description": "Seats", "quantity": Decimal("1"), "net": net,
                "tax_rate": Decimal("19")}],
        buyer={"name": "Acme", "city": "Hamburg", "country": "DE"},
    )  # fmt: skip


def test_the_writer_numbers_each_series_without_gaps_and_keeps_history(cast):
    ensure_defaults()
    contract = contract_for(cast.kam)  # signed, not finalized: no invoice yet
    before = TimelineEntry.objects.filter(account=contract.account).count()
    [first] = billing.invoices_issue([draft(contract)], actor=cast.cs)
    drafts = [
        draft(contract, kind=Invoice.Kind.CREDIT_NOTE, net=Decimal("-50.00"),
              corrects=first),
        draft(contract, net=Decimal("200.00")),
        draft(contract, net=Decimal("0.10")),
    ]  # fmt: skip
    ids = [first, *billing.invoices_issue(drafts, actor=cast.cs)]
    invoices = [Invoice.objects.get(pk=pk) for pk in ids]
    year = timezone.localdate().year
    assert [i.number for i in invoices] == [
        f"INV-{year}-00001", f"CN-{year}-00001", f"INV-{year}-00002",
        f"INV-{year}-00003",
    ]  # fmt: skip
    # totals from the lines, rounded per line
    assert (invoices[2].net, invoices[2].tax, invoices[2].gross) == (
        Decimal("200.00"), Decimal("38.00"), Decimal("238.00"),
    )  # fmt: skip
    assert [i.lines.count() for i in invoices] == [1, 1, 1, 1]
    # history: one "created" row each, by the user who issued them
    for invoice in invoices:
        [row] = invoice.history.all()
        assert (row.history_type, row.history_user) == ("+", cast.cs)
    # the timeline says each was issued
    after = TimelineEntry.objects.filter(account=contract.account).count()
    assert after - before == 4
    # each event names its own invoice (made before the number was taken, filled
    # in after), as written and as shown from the stored message, in any language
    entries = TimelineEntry.objects.filter(account=contract.account).order_by("pk")
    for entry, invoice in zip(entries[before:], invoices, strict=True):
        said = f"{invoice.number} issued: {invoice.gross} EUR"
        assert entry.title.endswith(said) and entry.shown("title").endswith(said)
        assert "\ue000" not in entry.title + str(entry.text)
        with translation.override("de"):
            assert f"{invoice.number} ausgestellt" in entry.shown("title")


def test_the_plan_is_pure_and_prorates_a_short_period():
    Row = namedtuple(
        "Row",
        "pk contract_id next_billing_on billing_period end_on period_amount "
        "tax_rate quantity contract_line_id description start_on unit_code",
    )
    start = date(2027, 1, 1)
    rows = [
        # a full quarter
        Row(1, 10, start, "quarterly", date(2027, 12, 31), Decimal("300.00"),
            Decimal("19"), Decimal("3"), 100, "Seats", start, "C62"),
        # the same contract's archive: its term ends inside the quarter
        Row(2, 10, start, "quarterly", date(2027, 2, 14), Decimal("90.00"),
            Decimal("7"), Decimal("1"), 101, "Archive", start, "C62"),
        # another contract, one period behind: billed again after this pass
        Row(3, 11, date(2026, 10, 1), "quarterly", date(2027, 9, 30),
            Decimal("120.00"), Decimal("19"), Decimal("1"), 102, "Data",
            date(2026, 10, 1), "MON"),
    ]  # fmt: skip
    info = {
        **dict.fromkeys(billing.CONTRACT_INFO, ""),
        "account_id": 5, "currency": "EUR", "payment_terms_days": 30,
        "contact_email": "ap@x.example", "vat_id": "", "name": "X",
        "legal_name": "X GmbH", "street": "Kai 1", "postal_code": "20457",
        "city": "Hamburg", "country": "DE", "einvoice_format": "pdf",
    }  # fmt: skip
    drafts, moves, again = billing.period_invoice_plan(
        rows, {10: info, 11: info}, date(2027, 1, 1)
    )
    assert [d.contract_id for d in drafts] == [10, 11]
    seats, archive = drafts[0].lines
    assert seats["net"] == Decimal("300.00") and seats["prorated_days"] is None
    assert archive["period_end"] == date(2027, 2, 14)
    assert archive["prorated_days"] == 45 and archive["period_days"] == 90
    assert archive["net"] == Decimal("45.00")  # 90.00 × 45 / 90
    assert drafts[0].due_on == date(2027, 1, 31)
    assert drafts[0].email == "ap@x.example"  # no billing email: the contact's
    assert (
        drafts[0].buyer["name"] == "X GmbH" and drafts[1].lines[0]["unit_code"] == "MON"
    )
    assert dict(moves)[1] == date(2027, 4, 1) and dict(moves)[2] is None
    assert again is True  # contract 11's period from October was billed late


WRITES = {"create", "bulk_create", "update", "delete", "get_or_create",
          "update_or_create", "bulk_update"}  # fmt: skip
INVOICING = {"Invoice", "InvoiceLine", "Contract", "ContractLine", "ContractTerm",
             "ContractEvent", "Subscription"}  # fmt: skip


RAW_WRITE = re.compile(
    r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+\"?contracts_", re.IGNORECASE
)


def test_no_module_outside_contracts_writes_a_contracts_table():
    """Contracts, their lines, terms and events, subscriptions, invoices and their
    lines are written by the contracts app's services only (the nightly renewal job
    calls its bulk writers)."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {
            "contracts",
            "tests",
            "bench",
            ".venv",
            "docs",
            "var",
            "build",
        } or ("migrations" in rel.parts):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            # insert_rows(Invoice, ...), update_rows(InvoiceLine, ...)
            if (
                isinstance(func, ast.Name)
                and func.id in {"insert_rows", "update_rows", "load_rows", "_load"}
                and not any(  # the contracts app's own seeding loader
                    k.arg == "load"
                    and ast.unparse(k.value) == "seeding.seeded_rows_load"
                    for k in node.keywords
                )
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in INVOICING
            ):
                offenders.append(f"{rel}:{node.lineno}")
            # Invoice.objects.create(...), Invoice.objects.filter(...).update(...)
            if isinstance(func, ast.Attribute) and func.attr in WRITES:
                text = ast.unparse(func.value)
                if any(text.startswith(f"{m}.objects") for m in INVOICING):
                    offenders.append(f"{rel}:{node.lineno}")
        # raw SQL: INSERT INTO / UPDATE / DELETE FROM / COPY a contracts table
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and RAW_WRITE.search(text):
                offenders.append(f"{rel}:{node.lineno} (SQL)")
    assert offenders == []
