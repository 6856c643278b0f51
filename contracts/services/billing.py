"""Invoices: gapless numbers, immutable once issued, corrected by credit notes."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import TimelineEntry
from accounts.services import activity
from catalog import pricing
from contracts.models import (
    Contract,
    ContractLine,
    Invoice,
    InvoiceLine,
    Subscription,
)
from kam.core import services as core_services
from kam.core import state
from kam.core.exceptions import ApplicationError
from kam.core.i18n import Later
from kam.core.pdf import html_to_pdf
from kam.core.queueing import enqueue_on_commit

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
    cut at the end of its term (catalog.pricing, kam.core.dates)."""
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


def _invoice_create(
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
) -> Invoice:
    """Number and store an invoice with its lines (inside the caller's transaction)."""
    series = CREDIT_SERIES if kind == Invoice.Kind.CREDIT_NOTE else INVOICE_SERIES
    sequence = core_services.series_take(series=series, year=issued_on.year)
    net, tax = invoice_totals((line["net"], line["tax_rate"]) for line in lines)
    invoice = Invoice.objects.create(
        series=series,
        year=issued_on.year,
        sequence=sequence,
        number=core_services.series_format(series, issued_on.year, sequence),
        kind=kind,
        account=account,
        contract=contract,
        corrects=corrects,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=payment_terms_days),
        currency=currency,
        net=net,
        tax=tax,
        gross=net + tax,
        bill_to=_bill_to(account),
        vat_id=account.vat_id,
        email=email,
        note=note,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, position=i, **line)
        for i, line in enumerate(lines, start=1)
    )
    TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(
            gettext_noop("%(kind)s %(number)s issued: %(gross)s %(currency)s"),
            kind=Invoice.Kind(invoice.kind).label,
            number=invoice.number,
            gross=invoice.gross,
            currency=currency,
        ),
    )
    return invoice


def invoice_first(
    *,
    contract: Contract,
    subscriptions: list[Subscription],
    one_off_lines: list[ContractLine],
    today: date,
) -> Invoice | None:
    """The first invoice of a contract: first period of paid subscriptions + one-offs.

    Moves each subscription's next billing date in the same transaction, so a rerun
    finds nothing left to bill.
    """
    lines = []
    for subscription in subscriptions:
        period = subscription_period(subscription, subscription.next_billing_on)
        lines.append(
            {
                "subscription": subscription,
                "contract_line": subscription.contract_line,
                "description": subscription.contract_line.description,
                "period_start": period.start,
                "period_end": period.end,
                "prorated_days": period.days if period.is_prorated else None,
                "period_days": period.full_days if period.is_prorated else None,
                "quantity": subscription.quantity,
                "net": pricing.prorate(subscription.period_amount, period),
                "tax_rate": subscription.tax_rate,
            }
        )
        # None past the term: the renewal decides what follows
        subscription.next_billing_on = pricing.next_start(period, subscription.end_on)
        subscription.save(update_fields=["next_billing_on", "updated_at"])
    for line in one_off_lines:
        lines.append(
            {
                "contract_line": line,
                "description": line.description,
                "quantity": line.quantity,
                "net": line.net,
                "tax_rate": line.tax_rate,
            }
        )
    if not lines:
        return None
    return _invoice_create(
        account=contract.account,
        contract=contract,
        currency=contract.currency,
        lines=lines,
        issued_on=today,
        payment_terms_days=contract.payment_terms_days,
        email=contract.contact.email,
    )


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
