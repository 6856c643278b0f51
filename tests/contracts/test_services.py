import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from contracts import selectors as contract_selectors
from contracts.models import Contract, ContractEvent, Invoice, InvoiceLine, Subscription
from contracts.services import acceptance, billing, lifecycle, terms, trials
from contracts.services import signing as contract_signing
from core.exceptions import ApplicationError
from core.models import Notification, OutboundMessage
from offers.models import Offer

pytestmark = pytest.mark.django_db
C = Contract.Status


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 1), 12, date(2026, 12, 31)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # § 188 (3) BGB
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 3, 15), 6, date(2026, 9, 14)),
    ],
)
def test_term_end_handles_month_ends(start, months, end):
    assert terms.term_end(start, months) == end


def test_cancel_by_only_for_standing_orders():
    end = date(2027, 12, 31)
    assert terms.cancel_by_date(end_on=end, notice_days=90, auto_renew=True) == date(
        2027, 10, 2
    )
    assert terms.cancel_by_date(end_on=end, notice_days=90, auto_renew=False) is None


@pytest.mark.pdf
def test_accepting_an_offer_makes_and_sends_the_contract(cast, accepted):
    # given an offer accepted with option Premium (20 seats + archive)
    contract = accepted
    offer = contract.offer
    # then
    assert contract.number == f"CT-{timezone.localdate().year}-00001"
    assert contract.status == C.SENT
    assert contract.account == offer.account
    assert [(line.description, line.quantity) for line in contract.lines.all()] == [
        ("Enterprise seat", Decimal("20.00")),
        ("Full-text archive", Decimal("1.00")),
    ]
    assert contract.end_on == terms.term_end(contract.start_on, 12)
    assert contract.cancel_by == contract.end_on - timedelta(days=90)
    assert contract.totals()["net"] == Decimal("9600.00")
    assert list(contract.events.values_list("to_status", flat=True)) == [
        "draft",
        "sent",
    ]
    # the customer got the PDF and a signing link; customer services were told
    sent = OutboundMessage.objects.filter(to=["vera@nordlicht.example"]).latest("pk")
    assert "/contracts/sign/" in sent.body_text
    assert Notification.objects.filter(
        user=cast.cs, title__startswith="New contract"
    ).exists()
    assert OutboundMessage.objects.filter(to=[cast.cs.email]).exists()
    text = pdf_text(contract.document.file.read())
    for expected in (contract.number, "Enterprise seat", "9,600.00", "11,424.00"):
        assert expected in text, expected


def test_accepting_twice_makes_one_contract(cast, accepted):
    offer = accepted.offer
    acceptance.offer_accept(
        offer=offer, option=offer.accepted_option, name="Vera Meier"
    )
    assert Contract.objects.filter(offer=offer).count() == 1
    assert lifecycle.contract_create_from_offer(offer=offer) == accepted


def test_signing_link_records_the_audit_trail(accepted):
    token = contract_signing.signing_token(accepted)
    assert contract_signing.contract_for_token(token) == accepted
    assert contract_signing.contract_for_token(token[:-2] + "xx") is None
    signed = contract_signing.contract_sign(
        contract=accepted,
        name="Vera Meier",
        title="CFO",
        agreed=True,
        ip="203.0.113.9",
        user_agent="Firefox",
    )
    assert signed.status == C.SIGNED
    assert signed.signed_sha256 == accepted.pdf_sha256 != ""
    assert (signed.signer_ip, signed.signer_user_agent) == ("203.0.113.9", "Firefox")
    # a second submission changes nothing
    again = contract_signing.contract_sign(
        contract=accepted, name="Someone Else", agreed=True
    )
    assert again.signer_name == "Vera Meier"
    assert accepted.events.filter(to_status="signed").count() == 1


@pytest.mark.parametrize(
    ("name", "agreed", "message"),
    [("", True, "type your name"), ("Vera", False, "confirm")],
)
def test_signing_needs_name_and_tick(accepted, name, agreed, message):
    with pytest.raises(ApplicationError, match=message):
        contract_signing.contract_sign(contract=accepted, name=name, agreed=agreed)
    accepted.refresh_from_db()
    assert accepted.status == C.SENT and accepted.signed_at is None


@pytest.mark.pdf
def test_finalize_starts_subscriptions_and_invoices(
    cast, signed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contract = lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    assert contract.status in (C.FINALIZED, C.ACTIVE)
    subs = list(contract.subscriptions.order_by("pk"))
    assert [(s.product.code, s.status) for s in subs] == [
        ("SEAT", "active"),
        ("ARCH", "active"),
    ]
    # yearly products billed yearly: the period amount is the line net
    assert [s.period_amount for s in subs] == [Decimal("7200.00"), Decimal("2400.00")]
    assert sum(s.mrr for s in subs) == Decimal("800.00")
    invoice = Invoice.objects.get(contract=contract)
    year = timezone.localdate().year
    assert invoice.number == f"INV-{year}-00001"
    assert (invoice.net, invoice.tax, invoice.gross) == (
        Decimal("9600.00"),
        Decimal("1824.00"),
        Decimal("11424.00"),
    )
    assert invoice.due_on == invoice.issued_on + timedelta(days=14)
    line = invoice.lines.get(subscription=subs[0])
    assert (line.period_start, line.period_end) == (
        contract.start_on,
        contract.start_on.replace(year=contract.start_on.year + 1) - timedelta(days=1),
    )
    subs[0].refresh_from_db()
    assert subs[0].next_billing_on is None  # a 12-month term is billed once
    # after commit the PDF was rendered and emailed
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SENT
    email = mail.outbox[-1]
    assert email.to == ["vera@nordlicht.example"]
    text = pdf_text(email.attachments[0][1])
    for expected in (invoice.number, "11,424.00", "Nordlicht Media GmbH", "19 %"):
        assert expected in text, expected
    # and a second finalize changes nothing
    lifecycle.contract_finalize(contract=contract, actor=cast.cs)
    assert Subscription.objects.count() == 2 and Invoice.objects.count() == 1


def test_finalize_refuses_when_checks_fail(cast, signed):
    account = signed.account
    account.street = ""
    account.save()
    with pytest.raises(ApplicationError, match="Billing address"):
        lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    signed.refresh_from_db()
    assert signed.status == C.SIGNED
    assert not Subscription.objects.exists() and not Invoice.objects.exists()


def test_checks_explain_each_failure(cast, accepted):
    account = accepted.account
    account.country = "FR"  # EU, not home: a VAT id is needed
    account.save()
    checks = {c.name: c for c in contract_selectors.contract_checks(accepted)}
    assert not checks["VAT id"].ok and "reverse charge" in checks["VAT id"].detail
    assert not checks["Signature"].ok
    assert checks["Prices"].ok and checks["Contact email"].ok
    account.vat_id = "FR40303265045"
    account.save()
    assert {c.name: c.ok for c in contract_selectors.contract_checks(accepted)}[
        "VAT id"
    ]
    line = accepted.lines.first()
    line.unit_price += 1
    line.save()
    assert not {c.name: c.ok for c in contract_selectors.contract_checks(accepted)}[
        "Prices"
    ]


def test_finalize_needs_a_signature(cast, accepted):
    with pytest.raises(ApplicationError, match="Only a signed contract"):
        lifecycle.contract_finalize(contract=accepted, actor=cast.cs)
    assert not ContractEvent.objects.filter(to_status="finalized").exists()


def test_trial_starts_without_invoice_and_reminds_once(
    cast, accepted, settings, django_capture_on_commit_callbacks
):
    lifecycle.contract_update_terms(
        contract=accepted,
        actor=cast.cs,
        trial_days=14,
        payment_terms_days=30,
        renewal_months=12,
    )
    signed = contract_signing.contract_sign(contract=accepted, name="Vera", agreed=True)
    contract = lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    subs = list(contract.subscriptions.all())
    assert {s.status for s in subs} == {"trial"}
    assert subs[0].trial_ends_on == contract.start_on + timedelta(days=13)
    assert not Invoice.objects.exists()
    mail.outbox.clear()
    today = subs[0].trial_ends_on - timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert trials.trial_reminders(today=today) == 1
        assert trials.trial_reminders(today=today) == 0
    assert [m.to for m in mail.outbox] == [["vera@nordlicht.example"]]
    assert (
        Notification.objects.filter(user=cast.kam, title__startswith="Trial").count()
        == 1
    )


def test_one_off_lines_are_invoiced_once(cast, accepted, setup_fee):
    invoice = billing.invoice_first(
        contract=accepted,
        subscriptions=[],
        one_off_lines=[],
        today=timezone.localdate(),
    )
    assert invoice is None
    contract = accepted
    from contracts.models import ContractLine

    fee_line = ContractLine.objects.create(
        contract=contract,
        product=setup_fee,
        description="Onboarding",
        quantity=1,
        unit_price=Decimal("500.00"),
        price_unit="one_off",
        tax_rate=Decimal("19"),
    )
    billing.invoice_first(
        contract=contract,
        subscriptions=[],
        one_off_lines=[fee_line],
        today=timezone.localdate(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        billing.invoice_first(
            contract=contract,
            subscriptions=[],
            one_off_lines=[fee_line],
            today=timezone.localdate(),
        )


def test_one_invoice_line_per_subscription_period(cast, signed):
    contract = lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    line = InvoiceLine.objects.filter(subscription__isnull=False).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=line.invoice,
            subscription=line.subscription,
            description="again",
            period_start=line.period_start,
            period_end=line.period_end,
            quantity=1,
            net=Decimal("1.00"),
            tax_rate=Decimal("19"),
        )
    assert contract.invoices.get().lines.count() == 2


def test_issued_invoices_are_immutable(cast, signed):
    lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    invoice = Invoice.objects.get()
    invoice.net = Decimal("1.00")
    with pytest.raises(ValueError, match="immutable"):
        invoice.save()
    with pytest.raises(ValueError, match="immutable"):
        invoice.save(update_fields=["net"])
    invoice.refresh_from_db()
    assert invoice.net == Decimal("9600.00")


def test_invoice_numbers_are_gapless_across_rollbacks(cast, account_factory):
    account = account_factory(owner=cast.kam, street="x", city="y", postal_code="1")
    today = timezone.localdate()
    line = {"description": "Item", "quantity": 1, "tax_rate": Decimal("19")}

    def issue(net):
        return billing._invoice_create(
            account=account,
            contract=None,
            currency="EUR",
            lines=[{**line, "net": Decimal(net)}],
            issued_on=today,
            payment_terms_days=14,
            email="a@b.example",
        )

    with transaction.atomic():
        first = issue("10.00")
    with pytest.raises(RuntimeError), transaction.atomic():
        issue("20.00")
        raise RuntimeError("rolled back")
    second = issue("30.00")
    assert [first.sequence, second.sequence] == [1, 2]
    assert second.number == f"INV-{today.year}-00002"


def test_credit_note_cancels_an_invoice(
    cast, signed, django_capture_on_commit_callbacks
):
    lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    invoice = Invoice.objects.get()
    with pytest.raises(ApplicationError, match="reason"):
        billing.invoice_credit(invoice=invoice, actor=cast.cs, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        credit = billing.invoice_credit(
            invoice=invoice, actor=cast.cs, reason="Wrong quantity"
        )
    assert credit.number.startswith("CN-")
    assert (credit.net, credit.gross) == (Decimal("-9600.00"), Decimal("-11424.00"))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    assert billing.invoice_credit(invoice=invoice, actor=cast.cs, reason="x") == credit
    with pytest.raises(ApplicationError, match="cannot be marked paid"):
        billing.invoice_mark_paid(invoice=invoice, actor=cast.cs)


def test_paid_and_overdue(cast, signed):
    lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    invoice = Invoice.objects.get()
    later = invoice.due_on + timedelta(days=1)
    assert billing.invoices_mark_overdue(today=later) == 1
    assert billing.invoices_mark_overdue(today=later) == 0
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OVERDUE
    assert Notification.objects.filter(
        user=cast.kam, title__startswith="Overdue"
    ).exists()
    with pytest.raises(ApplicationError, match="future"):
        billing.invoice_mark_paid(
            invoice=invoice, actor=cast.cs, paid_on=timezone.localdate() + timedelta(1)
        )
    billing.invoice_mark_paid(invoice=invoice, actor=cast.cs)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_on


def test_cancel_needs_a_reason_and_stops_subscriptions(cast, signed):
    contract = lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    with pytest.raises(ApplicationError, match="reason"):
        lifecycle.contract_cancel(contract=contract, actor=cast.cs, reason="")
    lifecycle.contract_cancel(contract=contract, actor=cast.cs, reason="Insolvency")
    contract.refresh_from_db()
    assert contract.status == C.CANCELLED
    assert set(contract.subscriptions.values_list("status", flat=True)) == {"cancelled"}


def test_new_offer_from_a_contracts_package(cast, signed):
    contract = lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    offer = lifecycle.offer_create_from_contract(contract=contract, actor=cast.kam)
    assert offer.status == Offer.Status.DRAFT
    assert offer.start_on == max(
        contract.end_on + timedelta(days=1), timezone.localdate()
    )
    (option,) = offer.options.all()
    assert option.name == "Premium"
    assert [
        (line.product.code, line.quantity, line.discount_percent)
        for line in option.lines.all()
    ] == [
        ("SEAT", Decimal("20.00"), Decimal("0.00")),
        ("ARCH", Decimal("1.00"), Decimal("0.00")),
    ]
    contract.refresh_from_db()
    assert contract.renewal_offer == offer


def test_mark_signed_with_a_scan(cast, accepted):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ApplicationError, match="scan"):
        contract_signing.contract_mark_signed(
            contract=accepted, actor=cast.cs, signer_name="V", uploaded_file=None
        )
    scan = SimpleUploadedFile("signed.pdf", accepted.document.file.read())
    contract = contract_signing.contract_mark_signed(
        contract=accepted, actor=cast.cs, signer_name="Vera Meier", uploaded_file=scan
    )
    assert contract.status == C.SIGNED and contract.signed_via == "scan"
    assert {c.name: c.ok for c in contract_selectors.contract_checks(contract)}[
        "Signature"
    ]


def test_fixed_term_contracts_end_once_their_term_is_over(cast, signed):
    contract = lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    Contract.objects.filter(pk=contract.pk).update(auto_renew=False)
    assert lifecycle.contracts_end_due(today=contract.end_on)["ended"] == []
    after = contract.end_on + timedelta(days=1)
    assert lifecycle.contracts_end_due(today=after)["ended"] == [contract.pk]
    assert lifecycle.contracts_end_due(today=after) == {"ended": [], "renewed": []}
    contract.refresh_from_db()
    assert contract.status == C.ENDED
    assert set(contract.subscriptions.values_list("status", flat=True)) == {"ended"}


def test_standing_orders_are_left_to_the_renewals_job(cast, signed):
    contract = lifecycle.contract_finalize(contract=signed, actor=cast.cs)
    assert contract.auto_renew
    closed = lifecycle.contracts_end_due(today=contract.end_on + timedelta(days=5))
    assert closed == {"ended": [], "renewed": []}
