"""The contract document sent for signature, signed online or filed as a
signed scan; contracts and invoices a broker outage left unsent are queued again."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.services import activity
from contracts.models import Contract, Invoice
from contracts.services import documents
from contracts.services.common import JOINED, notify_customer_services, timeline_event
from core import services as core_services
from core import state
from core.exceptions import ApplicationError
from core.i18n import Later
from core.links import absolute_url
from core.queueing import enqueue

Status = Contract.Status
SIGNING_SALT = "kam.contracts.sign"


def signing_token(contract: Contract) -> str:
    return signing.dumps(
        {"c": contract.pk, "h": contract.pdf_sha256[:16]}, salt=SIGNING_SALT
    )


def contract_for_token(token: str) -> Contract | None:
    """The contract behind a signing link; None if tampered with or too old."""
    try:
        data = signing.loads(
            token,
            salt=SIGNING_SALT,
            max_age=timedelta(days=settings.KAM_SIGNING_LINK_DAYS),
        )
    except signing.BadSignature:
        return None
    contract = (
        Contract.objects.select_related("account", "contact")
        .prefetch_related("lines__product")
        .filter(pk=data.get("c"))
        .first()
    )
    if contract is None or contract.pdf_sha256[:16] != data.get("h"):
        return None
    return contract


def signing_url(contract: Contract) -> str:
    return absolute_url(reverse("contracts:sign", args=[signing_token(contract)]))


UNSENT_AFTER = timedelta(minutes=10)
UNSENT_WITHIN = timedelta(days=7)


def unsent_requeue(*, now=None, limit: int = 500) -> dict[str, list[int]]:
    """Queue again the contracts and invoices whose sending a broker outage lost.

    A contract still in draft and an issued invoice not yet sent, 10 minutes to 7 days
    old, with an address to send to, are queued again; sending is idempotent (row lock,
    status check), so a message that was only late is still sent once.
    """
    from contracts.tasks import contract_send_task, invoice_send_task

    now = now or timezone.now()
    window = {
        "created_at__lt": now - UNSENT_AFTER,
        "created_at__gt": now - UNSENT_WITHIN,
    }
    contract_ids = list(
        Contract.objects.filter(status=Status.DRAFT, **window)
        .exclude(contact__email="")
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    invoice_ids = list(
        Invoice.objects.filter(
            status=Invoice.Status.ISSUED, sent_at__isnull=True, **window
        )
        .exclude(email="")
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in contract_ids:
        enqueue(contract_send_task, pk)
    for pk in invoice_ids:
        enqueue(invoice_send_task, pk)
    return {"contracts": contract_ids, "invoices": invoice_ids}


def contract_send(*, contract: Contract, actor=None) -> Contract:
    """File the contract PDF and email it with a signing link (once).

    The PDF is rendered before the contract's row is locked; under the lock the
    contract must still be as rendered (its `updated_at` moves with every change)."""
    seen = Contract.objects.select_related(*JOINED).get(pk=contract.pk)
    if seen.status != Status.DRAFT:
        return seen
    _check_recipient(seen)
    pdf = documents.contract_pdf(seen)
    return _contract_sent(contract=seen, actor=actor, pdf=pdf, seen=seen.updated_at)


def _check_recipient(contract: Contract) -> None:
    if not contract.contact.email:
        raise ApplicationError(
            _("%(name)s has no email address.") % {"name": contract.contact}
        )


@transaction.atomic
def _contract_sent(*, contract: Contract, actor, pdf: bytes, seen) -> Contract:
    contract = state.lock(contract, *JOINED)
    if contract.status != Status.DRAFT:
        return contract  # sent meanwhile
    if contract.updated_at != seen:
        raise ApplicationError(
            _("The contract changed while it was being sent; please send it again.")
        )
    _check_recipient(contract)
    contact = contract.contact
    filename = f"{contract.number}.pdf"
    with translation.override(contract.language):
        title = _("Contract %(number)s") % {"number": contract.number}
    document = activity.document_upload(
        account=contract.account,
        actor=actor,
        uploaded_file=SimpleUploadedFile(filename, pdf, "application/pdf"),
        title=title,
    )
    contract.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    contract.document = document
    with translation.override(contract.language):
        body = render_to_string(
            "emails/contracts/contract_sent.txt",
            {
                "contract": contract,
                "contact": contact,
                "kam": contract.account.owner,
                "link": signing_url(contract),
                "days": settings.KAM_SIGNING_LINK_DAYS,
            },
        )
        subject = _("Your contract %(number)s: please sign") % {
            "number": contract.number
        }
    owner = contract.account.owner
    contract.message = core_services.message_queue(
        to=[contact.email],
        subject=subject,
        body_text=body,
        reply_to=[owner.email] if owner.email else [],
        attachments=[(filename, pdf, "application/pdf")],
        related=contract,
    )
    contract.sent_at = timezone.now()
    state.transition(contract, Status.SENT, actor=actor)
    contract.save(
        update_fields=[
            "status",
            "pdf_sha256",
            "document",
            "message",
            "sent_at",
            "updated_at",
        ]
    )
    timeline_event(
        contract,
        Later(
            gettext_noop("Contract %(number)s sent for signature to %(name)s"),
            number=contract.number,
            name=str(contact),
        ),
        actor=actor,
    )
    return contract


def _signed(contract: Contract, actor, comment) -> None:
    state.transition(contract, Status.SIGNED, actor=actor, comment=comment)
    contract.signed_at = timezone.now()
    contract.save(
        update_fields=[
            "status",
            "signed_via",
            "signed_at",
            "signer_name",
            "signer_title",
            "signer_ip",
            "signer_user_agent",
            "signed_sha256",
            "signed_scan",
            "updated_at",
        ]
    )
    timeline_event(
        contract,
        Later(
            gettext_noop("Contract %(number)s signed by %(name)s"),
            number=contract.number,
            name=contract.signer_name,
        ),
        Contract.SignedVia(contract.signed_via).label,  # translated when shown
        actor,
    )
    core_services.notification_create(
        user=contract.account.owner,
        title=_("Signed: %(number)s") % {"number": contract.number},
        body=contract.account.name,
        url=contract.get_absolute_url(),
    )
    notify_customer_services(
        contract,
        _("Contract %(number)s is signed and ready to finalize")
        % {"number": contract.number},
        contract.account.name,
    )


@transaction.atomic
def contract_sign(
    *,
    contract: Contract,
    name: str,
    title: str = "",
    agreed: bool,
    ip: str | None = None,
    user_agent: str = "",
) -> Contract:
    """Record the customer's electronic signature through the link (idempotent)."""
    contract = state.lock(contract, *JOINED)
    if contract.signed_at:
        return contract
    if contract.status != Status.SENT:
        raise ApplicationError(_("This contract can no longer be signed."))
    if not name.strip():
        raise ApplicationError(_("Please type your name."), extra={"field": "name"})
    if not agreed:
        raise ApplicationError(
            _("Please confirm that you sign this contract."), extra={"field": "agree"}
        )
    contract.signed_via = Contract.SignedVia.WEB
    contract.signer_name = name.strip()[:200]
    contract.signer_title = title.strip()[:200]
    contract.signer_ip = ip
    contract.signer_user_agent = (user_agent or "")[:500]
    contract.signed_sha256 = contract.pdf_sha256
    _signed(contract, None, Later(gettext_noop("Signed through the link")))
    return contract


@transaction.atomic
def contract_mark_signed(
    *, contract: Contract, actor, signer_name: str, uploaded_file
) -> Contract:
    """File a signed scan uploaded by customer services and mark the contract signed."""
    contract = state.lock(contract, *JOINED)
    if contract.signed_at:
        raise ApplicationError(_("This contract is signed already."))
    if contract.status not in (Status.DRAFT, Status.SENT):
        raise ApplicationError(_("This contract can no longer be signed."))
    if not signer_name.strip():
        raise ApplicationError(
            _("Who signed? Please give the name."), extra={"field": "signer_name"}
        )
    if uploaded_file is None:
        raise ApplicationError(
            _("Please upload the signed scan."), extra={"field": "scan"}
        )
    scan = activity.document_upload(
        account=contract.account,
        actor=actor,
        uploaded_file=uploaded_file,
        title=_("Signed contract %(number)s") % {"number": contract.number},
    )
    if contract.status == Status.DRAFT:
        state.transition(
            contract,
            Status.SENT,
            actor=actor,
            comment=Later(gettext_noop("Signed on paper")),
        )
    contract.signed_via = Contract.SignedVia.SCAN
    contract.signer_name = signer_name.strip()[:200]
    contract.signed_scan = scan
    contract.signed_sha256 = scan.sha256
    _signed(contract, actor, _("Signed scan filed"))
    return contract
