"""Contract writes: from the accepted offer to signature, finalization and back to
a new offer."""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from stdnum.eu import vat

from accounts.models import TimelineEntry
from accounts.services import activity, todos
from accounts.validators import EU_COUNTRIES
from catalog.models import Product
from catalog.selectors import sale_prices
from contracts.models import (
    Contract,
    ContractEvent,
    ContractLine,
    ContractTerm,
    Invoice,
    Subscription,
)
from contracts.services import billing
from kam.core import services as core_services
from kam.core import state
from kam.core.bulk import history_snapshot
from kam.core.dates import period_end, show_date
from kam.core.exceptions import ApplicationError
from kam.core.i18n import Later
from kam.core.links import absolute_url
from kam.core.pdf import html_to_pdf
from kam.core.queueing import enqueue, enqueue_on_commit
from kam.core.roles import Role
from offers import services as offer_services
from offers.models import Offer

Status = Contract.Status
SIGNING_SALT = "kam.contracts.sign"


# --- terms ----------------------------------------------------------------


def term_end(start_on: date, months: int) -> date:
    """The last day of a term (the one date rule: `kam.core.dates`)."""
    return period_end(start_on, months)


def cancel_by_date(*, end_on: date, notice_days: int, auto_renew: bool) -> date | None:
    """The last day a cancellation stops the next renewal (standing orders only)."""
    if not auto_renew:
        return None
    return end_on - timedelta(days=notice_days)


# --- state ----------------------------------------------------------------


# what a change to a contract reads with it (only the contract's row is locked)
JOINED = ("account", "account__owner", "contact")


def _customer_services():
    from kam.core.models import User

    return list(
        User.objects.filter(
            is_active=True, groups__name=Role.CUSTOMER_SERVICES
        ).distinct()
    )


def _notify_customer_services(contract: Contract, title: str, body: str = "") -> None:
    """Bell notification and one email to customer services (after commit)."""
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    people = _customer_services()
    for user in people:
        core_services.notification_create(
            user=user,
            title=title,
            body=body,
            url=url,
            dedupe_key=f"contract:{contract.pk}:{title}"[:100],
        )
    addresses = [u.email for u in people if u.email]
    if addresses:
        core_services.message_queue(
            to=addresses,
            subject=title,
            body_text=f"{body}\n\n{absolute_url(url)}\n",
            related=contract,
        )


def _timeline(contract: Contract, title, summary="", actor=None):
    """An event on the account's timeline; `title` and `summary` may be `Later`s."""
    TimelineEntry.objects.create(
        account=contract.account,
        kind=TimelineEntry.Kind.EVENT,
        title=title,
        summary=summary,
        actor=actor,
    )


# --- from the accepted offer ---------------------------------------------


@transaction.atomic
def contract_create_from_offer(*, offer: Offer, actor=None) -> Contract:
    """Make the contract of an accepted offer (once per offer) and queue its sending."""
    existing = Contract.objects.filter(offer=offer).first()
    if existing:
        return existing
    offer = (
        Offer.objects.select_related("account", "contact", "accepted_option")
        .prefetch_related("accepted_option__lines__product")
        .get(pk=offer.pk)
    )
    if offer.status != Offer.Status.ACCEPTED or offer.accepted_option is None:
        raise ApplicationError(_("Only an accepted offer becomes a contract."))
    option = offer.accepted_option
    today = timezone.localdate()
    start_on = max(offer.start_on, today)  # accepted late: the term starts today
    end_on = term_end(start_on, offer.duration_months)
    contract = Contract.objects.create(
        number=core_services.series_next(series="CT", year=today.year),
        account=offer.account,
        contact=offer.contact,
        offer=offer,
        option=option,
        title=f"{offer.title} – {option.name}",
        language=offer.language,
        currency=offer.currency,
        start_on=start_on,
        end_on=end_on,
        duration_months=offer.duration_months,
        billing_period=offer.billing_period,
        auto_renew=offer.auto_renew,
        renewal_months=12 if offer.duration_months >= 12 else offer.duration_months,
        notice_days=offer.notice_days,
        cancel_by=cancel_by_date(
            end_on=end_on, notice_days=offer.notice_days, auto_renew=offer.auto_renew
        ),
        needs_approval=offer.needs_approval,
        approved_by=offer.approved_by,
        # an accepted renewal offer continues the contract it was made from
        previous=Contract.objects.filter(renewal_offer=offer, renewal__isnull=True)
        .exclude(status=Status.CANCELLED)
        .first(),
    )
    ContractLine.objects.bulk_create(
        ContractLine(
            contract=contract,
            product=line.product,
            package_version_id=line.package_version_id,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            list_price=line.list_price,
            price_reason=line.price_reason,
            discount_percent=line.discount_percent,
            price_unit=line.price_unit,
            tax_rate=line.tax_rate,
            position=line.position,
        )
        for line in option.lines.all()
    )
    ContractEvent.objects.create(
        contract=contract, from_status="", to_status=Status.DRAFT, actor=actor
    )
    _timeline(
        contract,
        Later(
            gettext_noop("Contract %(number)s created from offer %(offer)s"),
            number=contract.number,
            offer=offer.label,
        ),
        option.name,
        actor,
    )
    _notify_customer_services(
        contract,
        _("New contract %(number)s: %(account)s")
        % {"number": contract.number, "account": contract.account.name},
        _(
            "Offer %(offer)s was accepted (%(option)s). Please check the data and "
            "collect the signature."
        )
        % {"offer": offer.label, "option": option.name},
    )
    from contracts.tasks import contract_send_task

    enqueue_on_commit(contract_send_task, contract.pk)
    return contract


# --- the document and its signature --------------------------------------


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


def contract_send(*, contract: Contract, actor=None) -> Contract:
    """File the contract PDF and email it with a signing link (once).

    The PDF is rendered before the contract's row is locked; under the lock the
    contract must still be as rendered (its `updated_at` moves with every change)."""
    seen = Contract.objects.select_related(*JOINED).get(pk=contract.pk)
    if seen.status != Status.DRAFT:
        return seen
    _check_recipient(seen)
    pdf = contract_pdf(seen)
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
    _timeline(
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
    _timeline(
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
    _notify_customer_services(
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


@transaction.atomic
def contract_update_terms(
    *,
    contract: Contract,
    actor,
    trial_days: int,
    payment_terms_days: int,
    renewal_months: int,
) -> Contract:
    """Set what customer services settle before finalizing: trial, payment, renewal."""
    contract = state.lock(contract, *JOINED)
    if contract.is_locked:
        raise ApplicationError(_("A finalized contract cannot be changed."))
    if not 0 <= trial_days <= 365:
        raise ApplicationError(_("A trial lasts between 0 and 365 days."))
    if not 0 <= payment_terms_days <= 120:
        raise ApplicationError(_("Payment terms lie between 0 and 120 days."))
    if renewal_months < 1:
        raise ApplicationError(_("A renewal term lasts at least one month."))
    contract.trial_days = trial_days
    contract.payment_terms_days = payment_terms_days
    contract.renewal_months = renewal_months
    contract._change_reason = f"terms set by {actor}"
    contract.save(
        update_fields=[
            "trial_days",
            "payment_terms_days",
            "renewal_months",
            "updated_at",
        ]
    )
    return contract


# --- checks and finalization ---------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def contract_checks(contract: Contract) -> list[Check]:
    """The data checks customer services go through before finalizing."""
    account = contract.account
    checks = []
    missing = [
        label
        for label, value in (
            (_("street"), account.street),
            (_("postal code"), account.postal_code),
            (_("city"), account.city),
            (_("country"), account.country),
        )
        if not value
    ]
    checks.append(
        Check(
            _("Billing address"),
            not missing,
            _("Missing on the account: %(fields)s.") % {"fields": ", ".join(missing)}
            if missing
            else "",
        )
    )
    needs_vat = account.country in EU_COUNTRIES and (
        account.country != settings.KAM_HOME_COUNTRY
    )
    if not needs_vat:
        checks.append(
            Check(_("VAT id"), True, _("Not needed outside the EU or at home."))
        )
    elif not account.vat_id:
        checks.append(
            Check(
                _("VAT id"),
                False,
                _(
                    "An EU business customer outside %(home)s needs a VAT id for "
                    "reverse charge."
                )
                % {"home": settings.KAM_HOME_COUNTRY},
            )
        )
    else:
        valid = vat.is_valid(account.vat_id)
        checks.append(
            Check(
                _("VAT id"),
                valid,
                ""
                if valid
                else _("%(id)s is not a valid VAT id.") % {"id": account.vat_id},
            )
        )
    checks.append(
        Check(
            _("Contact email"),
            bool(contract.contact.email),
            ""
            if contract.contact.email
            else _("%(name)s has no email address.") % {"name": contract.contact},
        )
    )
    checks.append(_price_check(contract))
    approval_ok = not contract.needs_approval or contract.approved_by_id is not None
    checks.append(
        Check(
            _("Approval"),
            approval_ok,
            ""
            if approval_ok
            else _("The discount needed a Sales Manager's approval; none is on file."),
        )
    )
    signature_ok = bool(contract.signed_at) and (
        (
            contract.signed_via == Contract.SignedVia.WEB
            and contract.signed_sha256 == contract.pdf_sha256
        )
        or (
            contract.signed_via == Contract.SignedVia.SCAN
            and contract.signed_scan_id is not None
        )
    )
    checks.append(
        Check(
            _("Signature"),
            signature_ok,
            ""
            if signature_ok
            else _("No signature yet: wait for the customer or upload a signed scan."),
        )
    )
    return checks


def _price_check(contract: Contract) -> Check:
    """What will be billed equals what the customer accepted and signed: the same
    lines with the same price units, and the same figures per billing period, per
    year and for the term; once billing started, each subscription bills the
    signed amount per period."""
    if contract.option_id is None:
        return Check(_("Prices"), True, _("No offer: nothing to compare."))
    key = lambda line: (  # noqa: E731
        line.product_id,
        line.quantity,
        line.unit_price,
        line.discount_percent,
        line.price_unit,
        line.tax_rate,
    )
    offered = sorted(key(line) for line in contract.option.lines.all())
    contracted = sorted(key(line) for line in contract.lines.all())
    if offered != contracted:
        return Check(
            _("Prices"),
            False,
            _("The contract lines differ from the accepted option %(option)s.")
            % {"option": contract.option.name},
        )
    signed = contract.option.figures()
    billed = contract.figures()
    pairs = [
        (_("per billing period"), signed.period.gross, billed.period.gross),
        (_("per year"), signed.year.gross, billed.year.gross),
        (_("one-off"), signed.one_off.gross, billed.one_off.gross),
        (_("for the term"), signed.term.gross, billed.term.gross),
    ]
    if signed.billing_period != billed.billing_period:
        pairs.append(
            (_("billing period"), signed.billing_period, billed.billing_period)
        )
    for name, was, now in pairs:
        if was != now:
            return Check(
                _("Prices"),
                False,
                _("Billed %(what)s: %(billed)s, but %(signed)s was signed.")
                % {"what": name, "billed": now, "signed": was},
            )
    per_line = {
        figure.line.pk: figure.per_period
        for figure in billed.lines
        if figure.is_recurring
    }
    for subscription in contract.subscriptions.all():
        expected = per_line.get(subscription.contract_line_id)
        if expected is not None and subscription.period_amount != expected:
            return Check(
                _("Prices"),
                False,
                _("%(item)s bills %(billed)s a period, but %(signed)s was signed.")
                % {
                    "item": subscription.product.name,
                    "billed": subscription.period_amount,
                    "signed": expected,
                },
            )
    return Check(_("Prices"), True)


@transaction.atomic
def contract_finalize(*, contract: Contract, actor) -> Contract:
    """Start the subscriptions and issue the first invoices (one transaction, once)."""
    contract = state.lock(contract, *JOINED)
    if contract.status in (Status.FINALIZED, Status.ACTIVE):
        return contract  # a second click, or a colleague was faster
    if contract.status != Status.SIGNED:
        raise ApplicationError(
            _("Only a signed contract can be finalized; this one is %(status)s.")
            % {"status": contract.get_status_display()}
        )
    failures = [c for c in contract_checks(contract) if not c.ok]
    if failures:
        raise ApplicationError(
            _("Fix these first: %(list)s")
            % {"list": " ".join(f"{c.name}: {c.detail}" for c in failures)}
        )
    today = timezone.localdate()
    lines = list(contract.lines.select_related("product"))
    trial_end = (
        contract.start_on + timedelta(days=contract.trial_days - 1)
        if contract.trial_days
        else None
    )
    subscriptions = []
    for line in lines:
        if line.product.kind != Product.Kind.SUBSCRIPTION:
            continue
        subscriptions.append(
            Subscription.objects.create(
                contract=contract,
                contract_line=line,
                account=contract.account,
                product=line.product,
                status=Subscription.Status.TRIAL
                if trial_end
                else Subscription.Status.ACTIVE,
                quantity=line.quantity,
                currency=contract.currency,
                billing_period=contract.billing_period,
                period_amount=billing.period_amount(line, contract.billing_period),
                tax_rate=line.tax_rate,
                mrr=billing.monthly_amount(line),
                start_on=contract.start_on,
                end_on=contract.end_on,
                trial_ends_on=trial_end,
                next_billing_on=trial_end + timedelta(days=1)
                if trial_end
                else contract.start_on,
            )
        )
    invoice = billing.invoice_first(
        contract=contract,
        subscriptions=[s for s in subscriptions if s.status != "trial"],
        one_off_lines=[
            line for line in lines if line.product.kind != Product.Kind.SUBSCRIPTION
        ],
        today=today,
        actor=actor,
    )
    ContractTerm.objects.create(
        contract=contract,
        sequence=1,
        kind=ContractTerm.Kind.INITIAL,
        start_on=contract.start_on,
        end_on=contract.end_on,
        cancel_by=contract.cancel_by,
        arr=sum((s.mrr for s in subscriptions), Decimal(0)) * 12,
    )
    contract.finalized_at = timezone.now()
    contract.finalized_by = actor
    state.transition(contract, Status.FINALIZED, actor=actor)
    if contract.start_on <= today:
        state.transition(contract, Status.ACTIVE, actor=actor)
    contract.save(
        update_fields=["status", "finalized_at", "finalized_by", "updated_at"]
    )
    _timeline(
        contract,
        Later(gettext_noop("Contract %(number)s finalized"), number=contract.number),
        Later(
            gettext_noop("%(subs)d subscriptions, %(invoices)d invoice"),
            subs=len(subscriptions),
            invoices=1 if invoice else 0,
        ),
        actor,
    )
    if contract.previous_id is None:  # a renewal is no new start
        todos.check_ins_plan(
            account=contract.account,
            occasion=f"contract:{contract.number}",
            start_on=max(contract.start_on, today),
            actor=actor,
            notes=_(
                "Planned when contract %(number)s was finalized: how is the "
                "start going?"
            )
            % {"number": contract.number},
            related=contract,
        )
    if invoice:
        from contracts.tasks import invoice_send_task

        enqueue_on_commit(invoice_send_task, invoice.pk)
    return contract


@transaction.atomic
def contracts_start_due(*, today: date | None = None, pks=None) -> int:
    """Activate finalized contracts whose term has begun (optionally only `pks`)."""
    today = today or timezone.localdate()
    now = timezone.now()
    due = Contract.objects.select_for_update().filter(
        status=Status.FINALIZED, start_on__lte=today
    )
    if pks is not None:
        due = due.filter(pk__in=pks)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    state.transition_bulk(
        Contract,
        [(pk, Status.FINALIZED, Status.ACTIVE) for pk in ids],
        comment=Later(gettext_noop("Term started")),
        at=now,
        history_reason="term started",
    )
    return len(ids)


@transaction.atomic
def contracts_end_due(*, today: date | None = None, pks=None) -> dict[str, list[int]]:
    """Close running fixed-term contracts whose term is over (optionally only `pks`).

    A contract continued by a new one (an accepted renewal offer) becomes renewed,
    any other ended; their subscriptions stop. Standing orders are left to the
    renewal job, which gives them a new term.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    due = Contract.objects.select_for_update().filter(
        status__in=Contract.RUNNING, auto_renew=False, end_on__lt=today
    )
    if pks is not None:
        due = due.filter(pk__in=pks)
    rows = list(
        due.order_by("pk").values_list("pk", "status", "account_id", "number", "end_on")
    )
    if not rows:
        return {"ended": [], "renewed": []}
    ids = [r[0] for r in rows]
    continued = set(
        Contract.objects.filter(previous_id__in=ids)
        .exclude(status=Status.CANCELLED)
        .values_list("previous_id", flat=True)
    )
    # a finalized contract whose whole term passed unseen starts, then ends
    state.transition_bulk(
        Contract,
        [(pk, old, Status.ACTIVE) for pk, old, *_ in rows if old != Status.ACTIVE],
        comment=Later(gettext_noop("Term started")),
        at=now,
    )
    renewed = [pk for pk in ids if pk in continued]
    ended = [pk for pk in ids if pk not in continued]
    state.transition_bulk(
        Contract,
        [(pk, Status.ACTIVE, Status.RENEWED) for pk in renewed],
        comment=Later(gettext_noop("Term over, continued by the renewal contract")),
        at=now,
    )
    state.transition_bulk(
        Contract,
        [(pk, Status.ACTIVE, Status.ENDED) for pk in ended],
        comment=Later(gettext_noop("Term over, not renewed")),
        at=now,
    )
    subscriptions = Subscription.objects.filter(
        contract_id__in=ids,
        status__in=[Subscription.Status.TRIAL, Subscription.Status.ACTIVE],
    )
    sub_ids = list(subscriptions.values_list("pk", flat=True))
    subscriptions.update(
        status=Subscription.Status.ENDED, next_billing_on=None, updated_at=now
    )
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            account_id=account_id,
            kind=TimelineEntry.Kind.EVENT,
            occurred_at=now,
            title=Later(
                gettext_noop("Contract %(number)s renewed by a new contract")
                if pk in continued
                else gettext_noop("Contract %(number)s ended"),
                number=number,
            ),
            summary=Later(gettext_noop("The term ended on %(date)s."), date=end_on),
        )
        for pk, _status, account_id, number, end_on in rows
    )
    history_snapshot(Contract, ids, history_type="~", reason="term over", at=now)
    history_snapshot(
        Subscription, sub_ids, history_type="~", reason="term over", at=now
    )
    return {"ended": ended, "renewed": renewed}


@transaction.atomic
def contract_cancel(*, contract: Contract, actor, reason: str) -> Contract:
    """Cancel a contract with a reason; running subscriptions stop."""
    contract = state.lock(contract, *JOINED)
    if contract.status == Status.CANCELLED:
        return contract
    if not reason.strip():
        raise ApplicationError(
            _("Please give the reason for the cancellation."),
            extra={"field": "reason"},
        )
    state.transition(contract, Status.CANCELLED, actor=actor, comment=reason.strip())
    contract.cancelled_at = timezone.now()
    contract.cancel_reason = reason.strip()
    contract.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"]
    )
    for subscription in contract.subscriptions.select_for_update().filter(
        status__in=[Subscription.Status.TRIAL, Subscription.Status.ACTIVE]
    ):
        subscription.status = Subscription.Status.CANCELLED
        subscription.next_billing_on = None
        subscription.save(update_fields=["status", "next_billing_on", "updated_at"])
    _timeline(
        contract,
        Later(gettext_noop("Contract %(number)s cancelled"), number=contract.number),
        reason.strip()[:300],
        actor,
    )
    return contract


# --- trials ---------------------------------------------------------------


def trial_reminders(*, today: date | None = None) -> int:
    """Remind the KAM and the customer before a trial ends (once per contract)."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.KAM_TRIAL_REMINDER_DAYS)
    due = (
        Contract.objects.filter(
            subscriptions__status=Subscription.Status.TRIAL,
            subscriptions__trial_ends_on__lte=horizon,
            subscriptions__trial_ends_on__gte=today,
            subscriptions__trial_reminder_sent_at__isnull=True,
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(due):
        sent += _trial_remind(pk)
    return sent


@transaction.atomic
def _trial_remind(contract_pk: int) -> int:
    contract = state.lock(Contract(pk=contract_pk), *JOINED)
    trials = list(
        contract.subscriptions.select_for_update().filter(
            status=Subscription.Status.TRIAL, trial_reminder_sent_at__isnull=True
        )
    )
    if not trials:
        return 0
    ends_on = min(s.trial_ends_on for s in trials)
    owner = contract.account.owner
    core_services.notification_create(
        user=owner,
        title=_("Trial ends %(date)s: %(account)s")
        % {"date": show_date(ends_on), "account": contract.account.name},
        url=contract.get_absolute_url(),
        dedupe_key=f"trial:{contract.pk}",
    )
    todos.task_create(
        title=_("Trial of %(number)s ends %(date)s: talk about conversion")
        % {"number": contract.number, "date": show_date(ends_on)},
        due_at=timezone.now(),
        assignee=owner,
        account=contract.account,
        actor=None,
        related=contract,
    )
    if contract.contact.email and not contract.contact.do_not_contact:
        with translation.override(contract.language):
            core_services.message_queue(
                to=[contract.contact.email],
                subject=_("Your trial ends on %(date)s") % {"date": ends_on},
                body_text=render_to_string(
                    "emails/contracts/trial_ending.txt",
                    {"contract": contract, "ends_on": ends_on, "kam": owner},
                ),
                reply_to=[owner.email] if owner.email else [],
                related=contract,
            )
    now = timezone.now()
    for subscription in trials:
        subscription.trial_reminder_sent_at = now
        subscription.save(update_fields=["trial_reminder_sent_at", "updated_at"])
    return 1


# --- back to offers -------------------------------------------------------


@transaction.atomic
def offer_create_from_contract(
    *, contract: Contract, actor, reuse: bool = True, title: str = ""
) -> Offer:
    """Start a new draft offer from a contract's package and terms (renewals).

    Today's list prices apply and the negotiated discounts carry over; items no
    longer sold are left out (the renewal comparison lists them).
    """
    contract = state.lock(contract, *JOINED)
    if (
        reuse
        and contract.renewal_offer_id
        and contract.renewal_offer.status
        not in (
            Offer.Status.DECLINED,
            Offer.Status.EXPIRED,
        )
    ):
        return contract.renewal_offer
    lines = list(contract.lines.select_related("product"))
    sold = {
        product_id
        for product_id, _cur in sale_prices(
            [line.product_id for line in lines], contract.currency
        )
    }
    offer = offer_services.offer_create(
        account=contract.account,
        contact=contract.contact,
        actor=actor,
        title=title or _("Renewal of %(number)s") % {"number": contract.number},
        language=contract.language,
        start_on=max(contract.end_on + timedelta(days=1), timezone.localdate()),
        duration_months=contract.renewal_months or contract.duration_months,
        billing_period=contract.billing_period,
        auto_renew=contract.auto_renew,
        notice_days=contract.notice_days,
        option_names=[contract.option.name if contract.option_id else _("Renewal")],
    )
    option = offer.options.get()
    for line in lines:
        if line.product_id not in sold:
            continue
        offer_services.line_add(
            option=option,
            actor=actor,
            product=line.product,
            quantity=line.quantity,
            discount_percent=line.discount_percent,
            description=line.description,
            package_version=line.package_version,
        )
    contract.renewal_offer = offer
    contract.save(update_fields=["renewal_offer", "updated_at"])
    _timeline(
        contract,
        Later(
            gettext_noop("Offer %(offer)s started from contract %(number)s"),
            offer=offer.label,
            number=contract.number,
        ),
        actor=actor,
    )
    return offer


# --- the customer's notice --------------------------------------------------


def next_term_end(contract: Contract) -> date:
    """The end of the term a renewal would add."""
    return term_end(contract.end_on + timedelta(days=1), contract.renewal_months)


@transaction.atomic
def contract_notice_receive(
    *, contract: Contract, actor, received_on: date, reason: str = ""
) -> Contract:
    """Record a customer's notice: a standing order stops renewing if it is in time.

    A notice received after the cancel-by date is refused with the date it could
    take effect (the end of the next term).
    """
    contract = state.lock(contract, *JOINED)
    if contract.notice_received_on:
        return contract
    if contract.status not in Contract.RUNNING or not contract.auto_renew:
        raise ApplicationError(
            _(
                "Only a running standing order can be given notice; this contract ends "
                "on %(date)s anyway."
            )
            % {"date": show_date(contract.end_on)}
        )
    if received_on > timezone.localdate():
        raise ApplicationError(
            _("The date of receipt lies in the future."),
            extra={"field": "received_on"},
        )
    if contract.cancel_by and received_on > contract.cancel_by:
        raise ApplicationError(
            _(
                "The notice came after the cancel-by date %(cancel_by)s: the contract "
                "renews on %(renews)s. Given now, the notice could take effect at "
                "the end of the next term, %(effective)s."
            )
            % {
                "cancel_by": show_date(contract.cancel_by),
                "renews": show_date(contract.end_on + timedelta(days=1)),
                "effective": show_date(next_term_end(contract)),
            },
            extra={"field": "received_on"},
        )
    contract.auto_renew = False
    contract.notice_received_on = received_on
    contract.notice_reason = reason.strip()
    contract.save(
        update_fields=[
            "auto_renew",
            "notice_received_on",
            "notice_reason",
            "updated_at",
        ]
    )
    comment = _("Customer gave notice on %(date)s: ends %(end)s, no renewal.") % {
        "date": show_date(received_on),
        "end": show_date(contract.end_on),
    }
    ContractEvent.objects.create(
        contract=contract,
        from_status=contract.status,
        to_status=contract.status,
        actor=actor,
        comment=f"{comment} {contract.notice_reason}".strip(),
    )
    _timeline(
        contract,
        Later(gettext_noop("Notice received for %(number)s"), number=contract.number),
        comment,
        actor,
    )
    if actor != contract.account.owner:
        core_services.notification_create(
            user=contract.account.owner,
            title=_("Notice received: %(number)s, %(account)s")
            % {"number": contract.number, "account": contract.account.name},
            body=comment,
            url=contract.get_absolute_url(),
            dedupe_key=f"notice:{contract.pk}",
        )
    return contract
