"""Invoices: gapless numbers, immutable once issued, corrected by credit notes."""

import functools
import hashlib
import operator
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import versions
from accounts.services import activity
from catalog import pricing
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


def bill_to_text(name, legal_name, street, postal_code, city, country) -> str:
    """The billing address block printed on an invoice."""
    parts = [legal_name or name, street, f"{postal_code} {city}".strip(), country]
    return "\n".join(p for p in parts if p)


def _bill_to(account) -> str:
    return bill_to_text(
        account.name,
        account.legal_name,
        account.street,
        account.postal_code,
        account.city,
        account.country,
    )


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
    "net", "tax_rate",
)  # fmt: skip
LINE_DEFAULTS = {
    "subscription_id": None, "contract_line_id": None, "is_credit": False,
    "period_start": None, "period_end": None, "prorated_days": None,
    "period_days": None,
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
    "email", "note", "pdf_sha256", "created_at", "updated_at", "series", "year",
    "sequence", "number",
)  # fmt: skip


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
    now = now or timezone.now()
    ids = reserve_ids(Invoice, len(drafts))
    _lines_may_precede_their_invoice()
    insert_rows(
        InvoiceLine,
        ["invoice_id", *LINE_COLUMNS, "position"],
        [
            (invoice_id, *_line_row(line), i)
            for invoice_id, draft in zip(ids, drafts, strict=True)
            for i, line in enumerate(draft.lines, start=1)
        ],
    )
    # the headers and timeline events but for their numbers, before the lock
    at = db_datetime(now)
    headers, events = [], []
    issued = gettext_noop("%(kind)s %(number)s issued: %(gross)s %(currency)s")
    labels = {kind: Invoice.Kind(kind).label for kind in {d.kind for d in drafts}}
    for invoice_id, draft in zip(ids, drafts, strict=True):
        net, tax = draft.totals()
        headers.append((
            invoice_id, draft.kind, draft.account_id, draft.contract_id,
            draft.corrects_id, Invoice.Status.ISSUED, draft.issued_on, draft.due_on,
            draft.currency, net, tax, net + tax, draft.bill_to, draft.vat_id,
            draft.email or "", draft.note, "", at, at,
        ))  # fmt: skip
        title = Later(issued, kind=labels[draft.kind], number=activity.SLOT,
                      gross=net + tax, currency=draft.currency)  # fmt: skip
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
    return ids


def _draft(
    *,
    account,
    contract: Contract | None,
    currency: str,
    lines: list[dict],
    issued_on: date,
    payment_terms_days: int,
    email: str,
    kind: str = Invoice.Kind.INVOICE,
    corrects: Invoice | None = None,
    note: str = "",
) -> InvoiceDraft:
    return InvoiceDraft(
        account_id=account.pk,
        contract_id=contract.pk if contract else None,
        currency=currency,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=payment_terms_days),
        bill_to=_bill_to(account),
        vat_id=account.vat_id,
        email=email,
        lines=lines,
        kind=kind,
        corrects_id=corrects.pk if corrects else None,
        note=note,
    )


def _invoice_create(*, actor=None, **fields) -> Invoice:
    """Issue one invoice (inside the caller's transaction) through the writer."""
    [invoice_id] = invoices_issue([_draft(**fields)], actor=actor)
    return Invoice.objects.select_related("account", "contract").get(pk=invoice_id)


def period_line(subscription, period: pricing.Period, *, description: str) -> dict:
    """The invoice line of one subscription period (a model instance or a row
    with pk, contract_line_id, quantity, period_amount and tax_rate): a period
    cut short is prorated by its days and says so."""
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
                "net": line.net,
                "tax_rate": line.tax_rate,
            }
        )
    if not lines:
        return None
    return _invoice_create(
        actor=actor,
        account=contract.account,
        contract=contract,
        currency=contract.currency,
        lines=lines,
        issued_on=today,
        payment_terms_days=contract.payment_terms_days,
        email=contract.contact.email,
    )


# --- the periods that fall due (the nightly job's billing) ------------------


def billable_subscriptions(day: date):
    return Subscription.objects.filter(
        status=Subscription.Status.ACTIVE, next_billing_on__lte=day
    )


# a due subscription as the plan reads it (a namedtuple: the plan is pure)
DueSubscription = namedtuple(
    "DueSubscription",
    "pk contract_id next_billing_on billing_period end_on period_amount tax_rate "
    "quantity contract_line_id description start_on",
)
ADDRESS = ("name", "legal_name", "street", "postal_code", "city", "country")
_address = operator.itemgetter(*ADDRESS)
# what the plan reads of a contract (subscriptions_bill_due's query, in this order)
CONTRACT_INFO = ("account_id", "currency", "payment_terms_days", "email", "vat_id",
                 *ADDRESS)  # fmt: skip


def period_invoice_plan(subscriptions, contracts: dict, day: date):
    """The plan of one billing pass, pure (rows in, drafts out): for each contract
    and period start, one invoice draft with a line per subscription due then; each
    subscription's next billing date after its period; whether a period is still
    due after this pass (catch-up, oldest first).

    `subscriptions`: rows with pk, contract_id, next_billing_on, billing_period,
    end_on, period_amount, tax_rate, quantity, contract_line_id, description,
    start_on. `contracts`: contract id -> dict of account_id, currency,
    payment_terms_days, email, vat_id and the bill-to address fields. The periods
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
    bill_to = functools.cache(bill_to_text)  # an account's contracts share theirs
    due_on = functools.cache(lambda days: day + timedelta(days=days))
    drafts = []
    for contract_id, _start in sorted(grouped):
        info = contracts[contract_id]
        lines = []
        for sub in grouped[(contract_id, _start)]:
            span = spans[sub.pk]
            lines.append(period_line(sub, span, description=sub.description))
        drafts.append(InvoiceDraft(
            account_id=info["account_id"], contract_id=contract_id,
            currency=info["currency"], issued_on=day,
            due_on=due_on(info["payment_terms_days"]),
            bill_to=bill_to(*_address(info)),
            vat_id=info["vat_id"], email=info["email"] or "", lines=lines,
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
        )
    ]
    if not subscriptions:
        return [], 0, False
    # tuples made dicts in C (`.values()` built them field by field)
    contracts = {
        pk: dict(zip(CONTRACT_INFO, info, strict=True))
        for pk, *info in Contract.objects.filter(
            pk__in=id_list({s.contract_id for s in subscriptions})
        ).values_list(
            "pk",
            "account_id",
            "currency",
            "payment_terms_days",
            "contact__email",
            "account__vat_id",
            *(f"account__{f}" for f in ADDRESS),
        )
    }
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


def invoice_pdf(invoice: Invoice) -> bytes:
    invoice = (
        Invoice.objects.select_related("account", "contract", "corrects")
        .prefetch_related("lines")
        .get(pk=invoice.pk)
    )
    language = invoice.contract.language if invoice.contract_id else "en"
    with translation.override(language):
        html = render_to_string(
            "pdf/contracts/invoice.html",
            {
                "invoice": invoice,
                "lines": list(invoice.lines.all()),
                "breakdown": invoice.tax_breakdown(),
                "language": language,
            },
        )
    return html_to_pdf(html)


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
    pdf = invoice_pdf(seen)
    return _invoice_sent(invoice=seen, actor=actor, pdf=pdf)


@transaction.atomic
def _invoice_sent(*, invoice: Invoice, actor, pdf: bytes) -> Invoice:
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
    invoice.message = core_services.message_queue(
        to=[invoice.email],
        subject=title,
        body_text=body,
        attachments=[(filename, pdf, "application/pdf")],
        related=invoice,
    )
    invoice.sent_at = timezone.now()
    if invoice.status == Invoice.Status.ISSUED:
        invoice.status = Invoice.Status.SENT
    invoice.save(
        update_fields=[
            "document",
            "pdf_sha256",
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
        account=invoice.account,
        contract=invoice.contract,
        currency=invoice.currency,
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
                "net": -line.net,
                "tax_rate": line.tax_rate,
            }
            for line in invoice.lines.all()
        ],
        issued_on=timezone.localdate(),
        payment_terms_days=0,
        email=invoice.email,
        kind=Invoice.Kind.CREDIT_NOTE,
        corrects=invoice,
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
