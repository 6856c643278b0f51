"""Invoices: gapless numbers, immutable once issued, corrected by credit notes."""

import dataclasses
import functools
import hashlib
import json
import operator
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import versions
from accounts.models import Account, EInvoiceFormat, OrderLine
from accounts.services import activity, orders
from catalog import pricing, tax
from contracts.models import Contract, ContractLine, Invoice, InvoiceLine, Subscription
from core import services as core_services
from core import state
from core.bulk import (
    db_datetime,
    history_snapshot,
    id_list,
    insert_rows,
    reserve_ids,
    update_rows,
)
from core.exceptions import ApplicationError
from core.i18n import Later
from core.models import SellerProfile
from core.pdf import html_to_pdf
from core.queueing import enqueue_on_commit

INVOICE_SERIES = "INV"
CREDIT_SERIES = "CN"


def period_amount(line: ContractLine, billing_period: str) -> Decimal:
    """Net per full billing period of a recurring line (catalog.pricing)."""
    return pricing.per_period(line.net, line.price_unit, billing_period)


def monthly_amount(line: ContractLine) -> Decimal:
    """MRR of a subscription line."""
    return pricing.per_period(line.net, line.price_unit, "monthly")


def subscription_period(subscription: Subscription, start: date) -> pricing.Period:
    """The period billed from `start`: anchored to the subscription's first day,
    cut at the end of its term (catalog.pricing, core.dates)."""
    return pricing.period_at(
        subscription.start_on, start, subscription.end_on, subscription.billing_period
    )


ADDRESS = ("name", "legal_name", "street", "postal_code", "city", "country")


def bill_to_text(name, legal_name, street, postal_code, city, country) -> str:
    """The billing address block printed on an invoice."""
    parts = [legal_name or name, street, f"{postal_code} {city}".strip(), country]
    return "\n".join(p for p in parts if p)


invoice_totals = pricing.invoice_totals


@dataclass
class InvoiceDraft:
    """An invoice before it has a number: what `invoices_issue` writes. `lines` are
    InvoiceLine columns (LINE_COLUMNS; ids, not instances)."""

    account_id: int
    contract_id: int | None
    currency: str
    issued_on: date
    due_on: date
    bill_to: str
    vat_id: str
    email: str
    lines: list[dict]
    kind: str = Invoice.Kind.INVOICE
    corrects_id: int | None = None
    note: str = ""
    # the buyer as issued (buyer_of), the references and the format it gets
    buyer: dict = field(default_factory=dict)
    buyer_reference: str = ""
    purchase_order_ref: str = ""
    einvoice_format: str = EInvoiceFormat.PDF

    @property
    def series(self) -> str:
        return (
            CREDIT_SERIES if self.kind == Invoice.Kind.CREDIT_NOTE else INVOICE_SERIES
        )

    def totals(self) -> tuple[Decimal, Decimal]:
        return invoice_totals((line["net"], line["tax_rate"]) for line in self.lines)


LINE_COLUMNS = (
    "subscription_id", "contract_line_id", "is_credit", "description",
    "period_start", "period_end", "prorated_days", "period_days", "quantity",
    "unit_code", "net", "tax_rate",
)  # fmt: skip
LINE_DEFAULTS = {
    "subscription_id": None, "contract_line_id": None, "is_credit": False,
    "period_start": None, "period_end": None, "prorated_days": None,
    "period_days": None, "unit_code": "C62",
}  # fmt: skip
_line_values = operator.itemgetter(*LINE_COLUMNS)


def _line_row(line: dict) -> tuple:
    """A draft line's LINE_COLUMNS values; a line that names every column (the
    nightly job's, from `period_line`) is read as it is."""
    if len(line) != len(LINE_COLUMNS):
        line = {**LINE_DEFAULTS, **line}
    return _line_values(line)


HEADER_COLUMNS = (
    "id", "kind", "account_id", "contract_id", "corrects_id", "status",
    "issued_on", "due_on", "currency", "net", "tax", "gross", "bill_to", "vat_id",
    "email", "note", "pdf_sha256", "parties", "buyer_reference", "purchase_order_ref",
    "tax_note", "einvoice_format", "einvoice_error", "created_at", "updated_at",
    "series", "year", "sequence", "number",
)  # fmt: skip
# what an invoice keeps of its seller (core.models.SellerProfile) as issued
SELLER = ("name", "street", "postal_code", "city", "country", "vat_id", "tax_number",
          "register_court", "register_number", "managing_directors", "contact_name",
          "phone", "email", "website", "bank_name", "iban", "bic",
          "sepa_creditor_id")  # fmt: skip


def seller_or_none() -> dict | None:
    """The seller as an invoice keeps it (SELLER), None without a seller profile."""
    profile = SellerProfile.current()
    return (
        None if profile is None else {name: getattr(profile, name) for name in SELLER}
    )


def seller_snapshot() -> dict:
    """The seller as an invoice keeps it; no invoice without a seller profile."""
    seller = seller_or_none()
    if seller is None:
        raise ApplicationError(
            _(
                "Enter the seller's legal data (Admin › Seller profile) before "
                "the first invoice: name, address, VAT id or tax number, bank."
            )
        )
    return seller


def _taxed_lines(lines: list[dict], how: tax.Treatment) -> list[dict]:
    """The lines as the tax rule bills them: 0 % where exempt, each with its
    EN 16931 category (catalog.tax); a line that has one (a credit note's, as on
    the invoice it cancels) keeps its rate and category."""
    taxed = []
    for line in lines:
        if line.get("tax_category"):
            taxed.append(line)
            continue
        rate = tax.line_rate(line["tax_rate"], how)
        taxed.append({**line, "tax_rate": rate,
                      "tax_category": tax.line_category(rate, how)})  # fmt: skip
    return taxed


@functools.cache
def _line_invoice_fk() -> str:
    """The name of InvoiceLine's foreign key to its invoice (PostgreSQL)."""
    table = InvoiceLine._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return next(
        name
        for name, c in constraints.items()
        if c["foreign_key"] and c["columns"] == ["invoice_id"]
    )


def _lines_may_precede_their_invoice() -> None:
    """Check the lines' foreign key at commit in this transaction, also where the
    caller set constraints to be checked at once (the large demo's loader)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SET CONSTRAINTS {connection.ops.quote_name(_line_invoice_fk())} "
                "DEFERRED"
            )


@transaction.atomic
def invoices_issue(drafts: list[InvoiceDraft], *, now=None, actor=None) -> list[int]:
    """Issue invoices: the one writer of invoices, their lines, their history and
    their timeline events, for one credit note or a night's hundred thousand
    renewals. Returns the new ids in the order of `drafts`.

    Numbers are gapless per series and year: a series' counter row stays locked
    from taking a block until the caller commits, and other writers wait for it;
    the blocks are taken in series order. So everything that needs no number is
    done first (the lines are written, their foreign key to their invoice checked
    at commit; the headers and timeline events are made, the number filled in
    later) and the numbers are taken last: two workers of the nightly job then
    wait for each other only briefly. The database keeps one invoice per
    subscription period (InvoiceLine's constraint).
    """
    if not drafts:
        return []
    # the accounts first, in id order, before the series' lock
    with versions.held(d.account_id for d in drafts):
        return _issue(drafts, now=now, actor=actor)


def _issue(drafts: list[InvoiceDraft], *, now, actor) -> list[int]:
    from contracts.services import einvoice

    now = now or timezone.now()
    seller = seller_snapshot()
    for draft in drafts:
        missing = einvoice.requirements(
            draft.einvoice_format, seller, draft.buyer, draft.buyer_reference
        )
        if missing:
            raise ApplicationError(" ".join(missing))
    # the tax rule, once per buyer: the rate and category of each line, the note
    treatments = functools.cache(
        lambda country, vat_id: tax.treatment(country, vat_id, seller["country"])
    )
    hows = [treatments(d.buyer.get("country", ""), d.vat_id) for d in drafts]
    drafts = [
        dataclasses.replace(draft, lines=_taxed_lines(draft.lines, how))
        for draft, how in zip(drafts, hows, strict=True)
    ]
    ids = reserve_ids(Invoice, len(drafts))
    _lines_may_precede_their_invoice()
    insert_rows(
        InvoiceLine,
        ["invoice_id", *LINE_COLUMNS, "tax_category", "position"],
        [
            (invoice_id, *_line_row(line), line["tax_category"], i)
            for invoice_id, draft in zip(ids, drafts, strict=True)
            for i, line in enumerate(draft.lines, start=1)
        ],
    )
    # the headers and timeline events but for their numbers, before the lock
    at = db_datetime(now)
    headers, events = [], []
    issued = gettext_noop("%(kind)s %(number)s issued: %(gross)s %(currency)s")
    labels = {kind: Invoice.Kind(kind).label for kind in {d.kind for d in drafts}}
    with translation.override("en"):  # the record's note; documents translate it
        notes = {how: str(how.note) for how in set(hows)}
    for invoice_id, draft, how in zip(ids, drafts, hows, strict=True):
        net, tax_total = draft.totals()
        parties = json.dumps({"seller": seller, "buyer": draft.buyer})
        headers.append((
            invoice_id, draft.kind, draft.account_id, draft.contract_id,
            draft.corrects_id, Invoice.Status.ISSUED, draft.issued_on, draft.due_on,
            draft.currency, net, tax_total, net + tax_total, draft.bill_to,
            draft.vat_id, draft.email or "", draft.note, "", parties,
            draft.buyer_reference, draft.purchase_order_ref, notes[how],
            draft.einvoice_format, "", at, at,
        ))  # fmt: skip
        title = Later(issued, kind=labels[draft.kind], number=activity.SLOT,
                      gross=net + tax_total, currency=draft.currency)  # fmt: skip
        events.append((draft.account_id, title, ""))
    events = activity.timeline_event_rows(events, now)
    groups: dict[tuple[str, int], list[int]] = {}
    for index, draft in enumerate(drafts):
        groups.setdefault((draft.series, draft.issued_on.year), []).append(index)
    for (series, year), indexes in sorted(groups.items()):
        first = core_services.series_take_block(
            series=series, year=year, count=len(indexes)
        )
        for offset, index in enumerate(indexes):
            sequence = first + offset
            number = core_services.series_format(series, year, sequence)
            headers[index] = (*headers[index], series, year, sequence, number)
            events[index] = activity.timeline_row_filled(events[index], number)
    insert_rows(Invoice, list(HEADER_COLUMNS), headers)
    history_snapshot(
        Invoice, ids, history_type="+", reason="issued", at=now,
        user_id=getattr(actor, "pk", None),
    )  # fmt: skip
    activity.timeline_rows_insert(events)
    _record_orders(drafts, [header[-1] for header in headers])
    return ids


def _record_orders(drafts: list[InvoiceDraft], numbers: list[str]) -> None:
    """What was invoiced goes into the accounts' order history (their revenue,
    trend and tier read it), a credit note's lines negative: per line of a
    product, under the invoice's number and the line's position."""
    products = dict(
        ContractLine.objects.filter(
            pk__in=id_list({
                line["contract_line_id"] for draft in drafts for line in draft.lines
                if line.get("contract_line_id")
            })
        ).values_list("pk", "product_id")
    )  # fmt: skip
    rows = []
    for draft, number in zip(drafts, numbers, strict=True):
        sign = -1 if draft.kind == Invoice.Kind.CREDIT_NOTE else 1
        for position, line in enumerate(draft.lines, start=1):
            product_id = products.get(line.get("contract_line_id"))
            if product_id is None:
                continue
            rows.append(OrderLine(
                account_id=draft.account_id, ordered_on=draft.issued_on,
                product_id=product_id, quantity=sign * line["quantity"],
                net_amount=line["net"], currency=draft.currency,
                external_ref=orders.invoice_line_ref(number, position),
            ))  # fmt: skip
    orders.order_lines_record(rows)


# what an invoice takes of its contract and account: draft key -> path from the
# contract (the first invoice, credit notes and the nightly job read the same)
CONTRACT_INFO = {
    "account_id": "account_id", "currency": "currency",
    "payment_terms_days": "payment_terms_days", "contact_email": "contact__email",
    "contract_reference": "buyer_reference", "purchase_order_ref": "purchase_order_ref",
    **{name: f"account__{name}" for name in (
        "name", "legal_name", "street", "postal_code", "city", "country", "vat_id",
        "billing_email", "electronic_address", "einvoice_format", "sepa_mandate_ref",
        "sepa_debtor_iban")},
    "account_reference": "account__buyer_reference",
    "billing_first_name": "account__billing_contact__first_name",
    "billing_last_name": "account__billing_contact__last_name",
    "billing_contact_email": "account__billing_contact__email",
}  # fmt: skip


def contract_info(contract_ids) -> dict[int, dict]:
    """{contract id: CONTRACT_INFO of it} in one query."""
    return {
        pk: dict(zip(CONTRACT_INFO, values, strict=True))
        for pk, *values in Contract.objects.filter(
            pk__in=id_list(contract_ids)
        ).values_list("pk", *CONTRACT_INFO.values())
    }


def recipient_of(info: dict) -> str:
    """Who receives the invoice: the account's billing email, else its billing
    contact, else the contract's contact."""
    return (
        info["billing_email"] or info["billing_contact_email"] or info["contact_email"]
    ) or ""


def buyer_of(info: dict, email: str | None = None) -> dict:
    """The buyer as an invoice keeps it (the account, its billing contact, the
    contract's contact), from CONTRACT_INFO."""
    email = recipient_of(info) if email is None else email
    contact = " ".join(
        n for n in (info["billing_first_name"], info["billing_last_name"]) if n
    )
    return {
        "name": info["legal_name"] or info["name"],
        **{k: info[k] or "" for k in ("street", "postal_code", "city", "vat_id")},
        "country": (info["country"] or "").upper(),
        "electronic_address": info["electronic_address"] or email,
        "contact_name": contact,
        "contact_email": info["billing_contact_email"] or email,
        "sepa_mandate_ref": info["sepa_mandate_ref"],
        "sepa_debtor_iban": info["sepa_debtor_iban"],
    }


def buyer_reference_of(info: dict) -> str:
    """The contract's buyer reference, else the account's (a Leitweg-ID)."""
    return info["contract_reference"] or info["account_reference"]


def missing_for(info: dict, seller: dict | None) -> list[str]:
    """What the contract (CONTRACT_INFO) lacks for its invoices' format."""
    from contracts.services import einvoice

    return einvoice.requirements(
        info["einvoice_format"], seller, buyer_of(info), buyer_reference_of(info)
    )


def draft_for(
    info: dict,
    *,
    contract_id: int | None,
    lines: list[dict],
    issued_on: date,
    due_on: date | None = None,
    email: str | None = None,
    kind: str = Invoice.Kind.INVOICE,
    corrects_id: int | None = None,
    note: str = "",
) -> InvoiceDraft:
    """The draft of an invoice for the contract (or account) described by `info`
    (CONTRACT_INFO): the bill-to block, the buyer as issued, the references."""
    email = recipient_of(info) if email is None else email
    return InvoiceDraft(
        account_id=info["account_id"], contract_id=contract_id,
        currency=info["currency"], issued_on=issued_on,
        due_on=due_on or issued_on + timedelta(days=info["payment_terms_days"]),
        bill_to=_bill_to_of(info), vat_id=info["vat_id"] or "", email=email,
        lines=lines, kind=kind, corrects_id=corrects_id, note=note,
        buyer=buyer_of(info, email), buyer_reference=buyer_reference_of(info),
        purchase_order_ref=info["purchase_order_ref"],
        einvoice_format=info["einvoice_format"],
    )  # fmt: skip


@functools.lru_cache(maxsize=4096)  # an account's contracts share theirs
def _bill_to_cached(*address) -> str:
    return bill_to_text(*address)


def _bill_to_of(info: dict) -> str:
    return _bill_to_cached(*(info[k] or "" for k in ADDRESS))


# an invoice of no contract: the account's own (its currency, 14 days to pay)
ACCOUNT_INFO = {
    key: path.removeprefix("account__")
    for key, path in CONTRACT_INFO.items()
    if path.startswith("account__")
}
ACCOUNT_INFO.update({"account_id": "pk", "currency": "currency"})  # fmt: skip
NO_CONTRACT = {"payment_terms_days": 14, "contact_email": "", "contract_reference": "",
               "purchase_order_ref": ""}  # fmt: skip


def account_info(account_id: int) -> dict:
    """CONTRACT_INFO of an invoice that belongs to no contract."""
    values = (
        Account.objects.filter(pk=account_id).values_list(*ACCOUNT_INFO.values()).get()
    )
    return {**NO_CONTRACT, **dict(zip(ACCOUNT_INFO, values, strict=True))}


def _draft(*, contract: Contract | None, account=None, currency=None,
           payment_terms_days=None, **fields) -> InvoiceDraft:  # fmt: skip
    if contract is not None:
        info = contract_info([contract.pk])[contract.pk]
    else:
        info = account_info(account.pk)
    if currency:
        info["currency"] = currency
    if payment_terms_days is not None:
        info["payment_terms_days"] = payment_terms_days
    return draft_for(info, contract_id=contract.pk if contract else None, **fields)


def _invoice_create(*, actor=None, **fields) -> Invoice:
    """Issue one invoice (inside the caller's transaction) through the writer."""
    [invoice_id] = invoices_issue([_draft(**fields)], actor=actor)
    return Invoice.objects.select_related("account", "contract").get(pk=invoice_id)


def period_line(subscription, period: pricing.Period, *, description: str) -> dict:
    """The invoice line of one subscription period (a model instance or a row
    with pk, contract_line_id, quantity, unit_code, period_amount and tax_rate): a
    period cut short is prorated by its days and says so."""
    return {
        "subscription_id": subscription.pk,
        "contract_line_id": subscription.contract_line_id,
        "is_credit": False,
        "description": description,
        "period_start": period.start,
        "period_end": period.end,
        "prorated_days": period.days if period.is_prorated else None,
        "period_days": period.full_days if period.is_prorated else None,
        "quantity": subscription.quantity,
        "unit_code": getattr(subscription, "unit_code", None)
        or subscription.product.unit_code,
        "net": pricing.prorate(subscription.period_amount, period),
        "tax_rate": subscription.tax_rate,
    }


def invoice_first(
    *,
    contract: Contract,
    subscriptions: list[Subscription],
    one_off_lines: list[ContractLine],
    today: date,
    actor=None,
) -> Invoice | None:
    """The first invoice of a contract: first period of paid subscriptions + one-offs.

    Moves each subscription's next billing date in the same transaction, so a rerun
    finds nothing left to bill.
    """
    lines = []
    for subscription in subscriptions:
        period = subscription_period(subscription, subscription.next_billing_on)
        lines.append(
            period_line(
                subscription, period, description=subscription.contract_line.description
            )
        )
        # None past the term: the renewal decides what follows
        subscription.next_billing_on = pricing.next_start(period, subscription.end_on)
        subscription.save(update_fields=["next_billing_on", "updated_at"])
    for line in one_off_lines:
        lines.append(
            {
                "contract_line_id": line.pk,
                "description": line.description,
                "quantity": line.quantity,
                "unit_code": line.product.unit_code,
                "net": line.net,
                "tax_rate": line.tax_rate,
            }
        )
    if not lines:
        return None
    return _invoice_create(actor=actor, contract=contract, lines=lines, issued_on=today)


# --- the periods that fall due (the nightly job's billing) ------------------


def billable_subscriptions(day: date):
    return Subscription.objects.filter(
        status=Subscription.Status.ACTIVE, next_billing_on__lte=day
    )


# a due subscription as the plan reads it (a namedtuple: the plan is pure)
DueSubscription = namedtuple(
    "DueSubscription",
    "pk contract_id next_billing_on billing_period end_on period_amount tax_rate "
    "quantity contract_line_id description start_on unit_code",
)


def period_invoice_plan(subscriptions, contracts: dict, day: date):
    """The plan of one billing pass, pure (rows in, drafts out): for each contract
    and period start, one invoice draft with a line per subscription due then; each
    subscription's next billing date after its period; whether a period is still
    due after this pass (catch-up, oldest first).

    `subscriptions`: rows with pk, contract_id, next_billing_on, billing_period,
    end_on, period_amount, tax_rate, quantity, contract_line_id, description,
    start_on, unit_code. `contracts`: contract id -> its CONTRACT_INFO. The periods
    and their amounts come from the price model (catalog.pricing), as on the first
    invoice: anchored to the subscription's first day, a period cut short by the
    term prorated by days."""
    spans = {
        s.pk: pricing.period_at(s.start_on, s.next_billing_on, s.end_on,
                                s.billing_period)
        for s in subscriptions
    }  # fmt: skip
    grouped: dict[tuple[int, date], list] = {}
    for sub in subscriptions:
        grouped.setdefault((sub.contract_id, sub.next_billing_on), []).append(sub)
    drafts = []
    for contract_id, _start in sorted(grouped):
        lines = []
        for sub in grouped[(contract_id, _start)]:
            span = spans[sub.pk]
            lines.append(period_line(sub, span, description=sub.description))
        drafts.append(draft_for(
            contracts[contract_id], contract_id=contract_id, lines=lines, issued_on=day
        ))  # fmt: skip
    moves = [(s.pk, pricing.next_start(spans[s.pk], s.end_on)) for s in subscriptions]
    again = any(spans[s.pk].end < min(day, s.end_on) for s in subscriptions)
    return drafts, moves, again


def subscriptions_bill_due(contract_ids, day: date, *, now=None):
    """Bill the earliest due period of every due subscription of these contracts
    (one pass; the caller locks the contracts and owns the transaction). Returns
    (invoice ids, line count, whether a period is still due)."""
    now = now or timezone.now()
    subscriptions = [
        DueSubscription(*values)
        for values in billable_subscriptions(day)
        .filter(contract_id__in=id_list(contract_ids))
        .order_by("contract_id", "next_billing_on", "pk")
        .values_list(
            "pk",
            "contract_id",
            "next_billing_on",
            "billing_period",
            "end_on",
            "period_amount",
            "tax_rate",
            "quantity",
            "contract_line_id",
            "contract_line__description",
            "start_on",
            "product__unit_code",
        )
    ]
    if not subscriptions:
        return [], 0, False
    contracts = contract_info({s.contract_id for s in subscriptions})
    blocked = _not_ready(contracts)
    if blocked:  # left due: billed the night after their data is complete
        subscriptions = [s for s in subscriptions if s.contract_id not in blocked]
        contracts = {pk: c for pk, c in contracts.items() if pk not in blocked}
        if not subscriptions:
            return [], 0, False
    drafts, moves, again = period_invoice_plan(subscriptions, contracts, day)
    # the accounts first, in id order, before any write and the series' lock
    with versions.held(c["account_id"] for c in contracts.values()):
        # the billing cursor moves in the transaction that writes the invoices
        update_rows(
            Subscription,
            ["next_billing_on", "updated_at"],
            [(pk, next_on, now) for pk, next_on in moves],
            casts={"next_billing_on": "date", "updated_at": "timestamptz"},
        )
        ids = invoices_issue(drafts, now=now)
    return ids, sum(len(d.lines) for d in drafts), again


def _with_lines(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_related("account", "contract", "corrects")
        .prefetch_related("lines")
        .get(pk=invoice.pk)
    )


def _not_ready(contracts: dict[int, dict]) -> set[int]:
    """The contracts whose invoices cannot be issued (no seller profile, or what
    their format needs is missing); customer services are told once each."""
    from contracts.services.common import customer_services

    seller = seller_or_none()
    blocked = {pk: missing_for(info, seller) for pk, info in contracts.items()}
    blocked = {pk: missing for pk, missing in blocked.items() if missing}
    if blocked:
        people = customer_services()
        numbers = dict(
            Contract.objects.filter(pk__in=id_list(blocked)).values_list("pk", "number")
        )
        for pk, missing in blocked.items():
            core_services.notifications_create(
                users=people,
                title=_("Not invoiced: %(number)s lacks billing data")
                % {"number": numbers[pk]},
                body=" ".join(missing),
                url=reverse("admin:contracts_contract_change", args=[pk]),
                dedupe_key=f"not-invoiced:{pk}",
            )
    return set(blocked)


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as printed: an archivable PDF/A-3 (it may carry its XML)."""
    invoice = _with_lines(invoice)
    language = invoice.contract.language if invoice.contract_id else "en"
    with translation.override(language):
        html = render_to_string(
            "pdf/contracts/invoice.html",
            {
                "invoice": invoice,
                "lines": list(invoice.lines.all()),
                "breakdown": invoice.tax_breakdown(),
                "language": language,
                "seller": invoice.parties.get("seller") or {},
                "tax_note": tax.note_of(invoice.tax_note),
            },
        )
    return html_to_pdf(html, variant="pdf/a-3b")


def invoice_documents(invoice: Invoice) -> tuple[bytes, tuple[str, bytes] | None]:
    """The invoice's PDF (for Factur-X with its XML embedded) and its separate XML
    file (XRechnung), each validated; raises einvoice.Invalid, with the reasons
    kept on the invoice and customer services told, when the XML does not
    validate."""
    from contracts.services import einvoice

    invoice = _with_lines(invoice)
    pdf = invoice_pdf(invoice)
    try:
        xml = einvoice.xml_for(invoice)
    except einvoice.Invalid as refused:
        _einvoice_refused(invoice, refused.errors)
        raise
    if xml is None:
        return pdf, None
    if invoice.einvoice_format == EInvoiceFormat.FACTURX:
        return einvoice.facturx_pdf(pdf, xml[1], title=invoice.number), None
    return pdf, xml


def invoice_file(invoice: Invoice, kind: str) -> tuple[str, bytes, str] | None:
    """(file name, content, type) of an invoice's PDF ("pdf") or e-invoice XML
    ("xml"): as sent where it was (the files kept on the account), else as it
    would be sent (validated). None: no such file (the XML of a PDF-only
    invoice)."""
    from contracts.services import einvoice

    stored = invoice.document if kind == "pdf" else invoice.xml_document
    if stored is not None and invoice.sent_at:
        with stored.file.open("rb") as handle:
            return stored.filename, handle.read(), stored.mimetype
    if kind == "pdf":
        pdf, _xml = invoice_documents(invoice)
        return f"{invoice.number}.pdf", pdf, "application/pdf"
    xml = einvoice.xml_for(_with_lines(invoice))
    if xml is None:
        return None
    name = f"{invoice.number}-factur-x.xml" if xml[0] == "factur-x.xml" else xml[0]
    return name, xml[1], "application/xml"


@transaction.atomic
def _einvoice_refused(invoice: Invoice, errors: list[str]) -> None:
    from contracts.services.common import customer_services

    invoice = state.lock(invoice)
    invoice.einvoice_error = "\n".join(errors)
    invoice.save(update_fields=["einvoice_error", "updated_at"])
    core_services.notifications_create(
        users=customer_services(),
        title=_("E-invoice %(number)s refused: it does not validate")
        % {"number": invoice.number},
        body="\n".join(errors[:5]),
        url=reverse("admin:contracts_invoice_change", args=[invoice.pk]),
        dedupe_key=f"einvoice:{invoice.pk}",
    )


# what a change to an invoice reads with it (only the invoice's row is locked)
JOINED = ("account", "contract", "contract__contact")


def _unsendable(invoice: Invoice) -> bool:
    return bool(invoice.sent_at) or invoice.status == Invoice.Status.CANCELLED


def invoice_send(*, invoice: Invoice, actor=None) -> Invoice:
    """Render the invoice PDF, file it and email it through the outbox (once).

    An issued invoice never changes, so its PDF is rendered before its row is
    locked; under the lock only "sent or cancelled meanwhile" is checked."""
    seen = Invoice.objects.select_related(*JOINED).get(pk=invoice.pk)
    if _unsendable(seen):
        return seen
    if not seen.email:
        raise ApplicationError(_("This invoice has no recipient address."))
    pdf, xml = invoice_documents(seen)
    return _invoice_sent(invoice=seen, actor=actor, pdf=pdf, xml=xml)


@transaction.atomic
def _invoice_sent(*, invoice: Invoice, actor, pdf: bytes, xml=None) -> Invoice:
    invoice = state.lock(invoice, *JOINED)
    if _unsendable(invoice):
        return invoice
    filename = f"{invoice.number}.pdf"
    language = invoice.contract.language if invoice.contract_id else "en"
    with translation.override(language):
        title = _("%(kind)s %(number)s") % {
            "kind": invoice.get_kind_display(),
            "number": invoice.number,
        }
        body = render_to_string(
            "emails/contracts/invoice.txt",
            {"invoice": invoice, "contact": invoice.contract.contact},
        )
    invoice.document = activity.document_upload(
        account=invoice.account,
        actor=actor,
        uploaded_file=SimpleUploadedFile(filename, pdf, "application/pdf"),
        title=title,
    )
    invoice.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    attachments = [(filename, pdf, "application/pdf")]
    if xml is not None:  # XRechnung: the XML is the invoice, the PDF a copy
        xml_name, xml_bytes = xml
        invoice.xml_document = activity.document_upload(
            account=invoice.account,
            actor=actor,
            uploaded_file=SimpleUploadedFile(xml_name, xml_bytes, "application/xml"),
            title=f"{title} (XRechnung)",
        )
        attachments.insert(0, (xml_name, xml_bytes, "application/xml"))
    invoice.einvoice_error = ""
    invoice.message = core_services.message_queue(
        to=[invoice.email],
        subject=title,
        body_text=body,
        attachments=attachments,
        related=invoice,
    )
    invoice.sent_at = timezone.now()
    if invoice.status == Invoice.Status.ISSUED:
        invoice.status = Invoice.Status.SENT
    invoice.save(
        update_fields=[
            "document",
            "pdf_sha256",
            "xml_document",
            "einvoice_error",
            "message",
            "sent_at",
            "status",
            "updated_at",
        ]
    )
    return invoice


@transaction.atomic
def invoice_mark_paid(
    *, invoice: Invoice, actor, paid_on: date | None = None
) -> Invoice:
    """Record the payment of an open invoice (idempotent)."""
    invoice = state.lock(invoice, *JOINED)
    if invoice.status == Invoice.Status.PAID:
        return invoice
    if invoice.status not in Invoice.OPEN or invoice.kind != Invoice.Kind.INVOICE:
        raise ApplicationError(
            _("A %(status)s %(kind)s cannot be marked paid.")
            % {
                "status": invoice.get_status_display(),
                "kind": invoice.get_kind_display(),
            }
        )
    paid_on = paid_on or timezone.localdate()
    if paid_on > timezone.localdate():
        raise ApplicationError(_("The payment date lies in the future."))
    invoice.status = Invoice.Status.PAID
    invoice.paid_on = paid_on
    invoice.save(update_fields=["status", "paid_on", "updated_at"])
    return invoice


@transaction.atomic
def invoice_credit(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """Cancel an issued invoice with a credit note over its full amount (once)."""
    invoice = state.lock(invoice, *JOINED)
    existing = Invoice.objects.filter(corrects=invoice).first()
    if existing:
        return existing
    if invoice.kind != Invoice.Kind.INVOICE:
        raise ApplicationError(_("A credit note cannot be credited again."))
    if invoice.status == Invoice.Status.PAID:
        raise ApplicationError(
            _("This invoice is paid; refunds are handled in accounting.")
        )
    if not reason.strip():
        raise ApplicationError(
            _("Please give the reason for the credit note."), extra={"field": "reason"}
        )
    credit = _invoice_create(
        actor=actor,
        contract=invoice.contract,
        lines=[
            {
                "subscription_id": line.subscription_id,
                "contract_line_id": line.contract_line_id,
                "is_credit": True,
                "description": line.description,
                "period_start": line.period_start,
                "period_end": line.period_end,
                "prorated_days": line.prorated_days,
                "period_days": line.period_days,
                "quantity": line.quantity,
                "unit_code": line.unit_code,
                "net": -line.net,
                "tax_rate": line.tax_rate,
                # as on the invoice it cancels, whatever the rule says today
                "tax_category": line.tax_category,
            }
            for line in invoice.lines.all()
        ],
        issued_on=timezone.localdate(),
        due_on=timezone.localdate(),
        email=invoice.email,
        kind=Invoice.Kind.CREDIT_NOTE,
        corrects_id=invoice.pk,
        note=reason.strip(),
    )
    invoice.status = Invoice.Status.CANCELLED
    invoice.save(update_fields=["status", "updated_at"])
    from contracts.tasks import invoice_send_task

    enqueue_on_commit(invoice_send_task, credit.pk)
    return credit


@transaction.atomic
def invoices_mark_overdue(*, today: date | None = None) -> int:
    """Mark unpaid invoices past their due date overdue and tell the KAM."""
    today = today or timezone.localdate()
    overdue = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(
            kind=Invoice.Kind.INVOICE,
            status__in=[Invoice.Status.ISSUED, Invoice.Status.SENT],
            due_on__lt=today,
        )
    )
    for invoice in overdue:
        invoice.status = Invoice.Status.OVERDUE
        invoice.save(update_fields=["status", "updated_at"])
        core_services.notification_create(
            user=invoice.account.owner,
            title=_("Overdue: %(number)s, %(account)s")
            % {"number": invoice.number, "account": invoice.account.name},
            body=f"{invoice.gross} {invoice.currency}",
            dedupe_key=f"overdue:{invoice.pk}",
        )
    return len(overdue)
