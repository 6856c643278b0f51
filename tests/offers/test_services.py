import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Document, Task, TimelineEntry
from catalog.models import PackageVersion
from core.exceptions import ApplicationError
from core.models import Notification, OutboundMessage
from offers.models import Offer, OfferEvent
from offers.services import answers as offer_answers
from offers.services import approval as offer_approval
from offers.services import building as offer_building
from offers.services import documents as offer_documents
from offers.services import sending as offer_sending
from offers.services import tokens as offer_tokens
from offers.services import tracking as offer_tracking

pytestmark = pytest.mark.django_db
S = Offer.Status


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_numbers_and_totals(offer):
    standard, premium = offer.options.prefetch_related("lines")
    assert offer.number.startswith(f"OF-{timezone.localdate().year}-")
    assert standard.totals()["net"] == Decimal("3600.00")
    # 20 × 360 + 2400 = 9600 net; tax 19 % = 1824
    assert premium.totals()["net"] == Decimal("9600.00")
    assert premium.totals()["gross"] == Decimal("11424.00")


def test_package_keeps_its_price(cast, offer, package):
    option = offer.options.first()
    lines = offer_building.package_add(option=option, actor=cast.kam, version=package)
    assert {line.discount_percent for line in lines} == {Decimal("10")}
    # 10 × 360 + 2400 = 6000, less 10 % = 5400
    assert sum(line.net for line in lines) == Decimal("5400.00")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": Decimal("-1")}, "greater than zero"),
        ({"quantity": Decimal("1"), "unit_price": Decimal("-5")}, "cannot be negative"),
        (
            {"quantity": Decimal("1"), "discount_percent": Decimal("101")},
            "between 0 and 100",
        ),
        (
            {"quantity": Decimal("1"), "discount_percent": Decimal("-1")},
            "between 0 and 100",
        ),
    ],
)
def test_bad_lines_are_refused(cast, offer, products, fields, message):
    option = offer.options.first()
    before = option.lines.count()
    with pytest.raises(ApplicationError, match=message):
        offer_building.line_add(
            option=option, actor=cast.kam, product=products["print"], **fields
        )
    assert option.lines.count() == before


def test_validity_in_the_past_is_refused(cast, offer):
    with pytest.raises(ApplicationError, match="in the past"):
        offer_building.offer_update(
            offer=offer,
            actor=cast.kam,
            valid_until=timezone.localdate() - timedelta(days=1),
        )
    offer.refresh_from_db()
    assert offer.valid_until > timezone.localdate()


def test_discount_needs_approval_before_sending(
    cast, offer, django_capture_on_commit_callbacks
):
    premium = offer.options.last()
    line = premium.lines.first()
    offer_building.line_update(
        line=line, actor=cast.kam, discount_percent=Decimal("25")
    )
    with pytest.raises(ApplicationError, match="needs a Sales Manager's approval"):
        offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    assert offer.status == S.DRAFT
    assert not OutboundMessage.objects.exists()
    # request → the KAM cannot approve; the other team's manager cannot either
    with django_capture_on_commit_callbacks(execute=True):
        offer_approval.offer_request_approval(offer=offer, actor=cast.kam)
    assert [m.to for m in mail.outbox] == [[cast.manager.email]]
    assert Notification.objects.filter(
        user=cast.manager, title__startswith="Approval"
    ).exists()
    for wrong in (cast.kam, cast.manager2):
        with pytest.raises(ApplicationError):
            offer_approval.offer_decide(offer=offer, actor=wrong, approve=True)
    offer_approval.offer_decide(
        offer=offer, actor=cast.manager, approve=True, comment="ok"
    )
    offer.refresh_from_db()
    assert offer.status == S.APPROVED
    assert offer.approved_by == cast.manager
    # changing an approved offer withdraws the approval
    offer_building.line_update(
        line=line, actor=cast.kam, discount_percent=Decimal("30")
    )
    offer.refresh_from_db()
    assert offer.status == S.DRAFT
    assert offer.approved_by is None
    steps = list(offer.events.values_list("from_status", "to_status"))
    assert steps == [
        ("", "draft"),
        ("draft", "pending_approval"),
        ("pending_approval", "approved"),
        ("approved", "draft"),
    ]


def test_reject_needs_a_reason(cast, offer):
    offer_building.line_update(
        line=offer.options.first().lines.first(),
        actor=cast.kam,
        discount_percent=Decimal("50"),
    )
    offer_approval.offer_request_approval(offer=offer, actor=cast.kam)
    with pytest.raises(ApplicationError, match="why"):
        offer_approval.offer_decide(offer=offer, actor=cast.manager, approve=False)
    offer_approval.offer_decide(
        offer=offer, actor=cast.manager, approve=False, comment="Too much"
    )
    offer.refresh_from_db()
    assert offer.status == S.REJECTED
    assert Notification.objects.filter(
        user=cast.kam, title__startswith="Rejected"
    ).exists()


@pytest.mark.pdf
def test_send_files_the_pdf_emails_it_and_plans_a_follow_up(
    cast, offer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer_sending.offer_send(offer=offer, actor=cast.kam, follow_up_days=[3])
        offer_sending.offer_send(
            offer=offer, actor=cast.kam
        )  # a double click sends once
    offer.refresh_from_db()
    assert offer.status == S.SENT
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["vera@nordlicht.example"]
    assert email.subject == f"Our offer {offer.number}: Research archive"
    assert "/offers/accept/" in email.body
    filename, pdf, mimetype = email.attachments[0]
    assert (filename, mimetype) == (f"{offer.number}-1.pdf", "application/pdf")
    text = pdf_text(pdf)
    for expected in (
        "Standard",
        "Premium",
        "3,600.00",
        "9,600.00",
        "11,424.00",
        "Nordlicht Media GmbH",
        "1 / 1",
    ):
        assert expected in text.replace("1/1", "1 / 1"), expected
    document = Document.objects.get(account=offer.account)
    assert offer.document == document
    assert offer.pdf_sha256 == document.sha256
    assert (
        Task.objects.filter(
            account=offer.account, title__startswith="Follow up"
        ).count()
        == 1
    )
    assert TimelineEntry.objects.filter(
        account=offer.account, message=offer.message
    ).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "no email address"),
        ("do_not_contact", True, "asked not to be contacted"),
    ],
)
def test_send_refuses_unreachable_contacts(cast, offer, field, value, message):
    setattr(offer.contact, field, value)
    offer.contact.save()
    with pytest.raises(ApplicationError, match=message):
        offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    assert offer.status == S.DRAFT
    assert not OutboundMessage.objects.exists()
    assert not Document.objects.exists()


def test_option_without_lines_cannot_be_sent(cast, offer):
    offer_building.option_add(offer=offer, actor=cast.kam, name="Empty")
    with pytest.raises(ApplicationError, match="no lines: Empty"):
        offer_sending.offer_send(offer=offer, actor=cast.kam)


def test_acceptance_token_and_answers(cast, offer):
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    token = offer_tokens.acceptance_token(offer)
    assert offer_tokens.offer_for_token(token) == offer
    assert offer_tokens.offer_for_token(token[:-2] + "xx") is None
    premium = offer.options.last()
    offer_answers.offer_accept(
        offer=offer,
        option=premium,
        name="Vera Meier",
        title="MD",
        ip="10.0.0.1",
        user_agent="UA",
    )
    offer_answers.offer_accept(
        offer=offer, option=premium, name="Vera Meier"
    )  # idempotent
    offer.refresh_from_db()
    assert (offer.status, offer.accepted_option, offer.signer_ip) == (
        S.ACCEPTED,
        premium,
        "10.0.0.1",
    )
    assert OfferEvent.objects.filter(offer=offer, to_status="accepted").count() == 1
    with pytest.raises(ApplicationError, match="accepted already"):
        offer_answers.offer_accept(offer=offer, option=offer.options.first(), name="x")
    with pytest.raises(ApplicationError, match="no longer be declined"):
        offer_answers.offer_decline(offer=offer, reason="x")
    assert Notification.objects.filter(
        user=cast.kam, title__startswith="Accepted"
    ).exists()


def test_revision_copies_and_supersedes(cast, offer):
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    new = offer_answers.offer_revise(offer=offer, actor=cast.kam)
    assert offer_answers.offer_revise(offer=offer, actor=cast.kam) == new  # once
    offer.refresh_from_db()
    assert offer.status == S.SUPERSEDED
    assert (new.number, new.revision, new.status) == (offer.number, 2, S.DRAFT)
    assert [o.totals()["net"] for o in new.options.prefetch_related("lines")] == [
        Decimal("3600.00"),
        Decimal("9600.00"),
    ]
    with pytest.raises(ApplicationError, match="cannot be changed"):
        offer_building.option_add(offer=offer, actor=cast.kam, name="late")


def test_expiry_and_validity_reminder(cast, offer, settings):
    settings.KAM_OFFER_REMINDER_DAYS = 5
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    Offer.objects.filter(pk=offer.pk).update(
        valid_until=timezone.localdate() + timedelta(days=3)
    )
    assert offer_answers.offer_validity_reminders() == 1
    assert offer_answers.offer_validity_reminders() == 0
    assert (
        offer_answers.offers_expire(today=timezone.localdate() + timedelta(days=4)) == 1
    )
    assert (
        offer_answers.offers_expire(today=timezone.localdate() + timedelta(days=4)) == 0
    )
    offer.refresh_from_db()
    assert offer.status == S.EXPIRED


def test_tracking_events_apply_once_and_only_forward(cast, offer):
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    OutboundMessage.objects.filter(pk=offer.message_id).update(
        provider_message_id="pm-1"
    )
    now = timezone.now()
    assert offer_tracking.tracking_apply(
        event_id="e1", provider_message_id="pm-1", event_type="opened", occurred_at=now
    )
    assert not offer_tracking.tracking_apply(
        event_id="e1", provider_message_id="pm-1", event_type="opened", occurred_at=now
    )
    offer_tracking.tracking_apply(
        event_id="e2",
        provider_message_id="pm-1",
        event_type="delivered",
        occurred_at=now,
    )
    offer.refresh_from_db()
    assert offer.delivery == "opened"  # a late "delivered" does not go back


def test_inbound_reply_lands_on_the_timeline(cast, offer):
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    mail = offer_tracking.inbound_reply_apply(
        from_email="vera@nordlicht.example",
        subject="Re: your offer",
        text="We take Premium.",
        in_reply_to=offer.message.rfc_message_id,
    )
    assert (mail.account, mail.offer, mail.status) == (
        offer.account,
        offer,
        "on_timeline",
    )
    entry = TimelineEntry.objects.get(title__startswith="Reply from")
    assert entry.account == offer.account and "We take Premium." in entry.summary
    # the offer number in a subject is anyone's to write: not on the timeline
    by_subject = offer_tracking.inbound_reply_apply(
        from_email="x@y.z", subject=f"AW: {offer.number}", text="?"
    )
    assert (by_subject.status, by_subject.is_answer) == ("to_review", False)
    assert TimelineEntry.objects.filter(title__startswith="Reply from").count() == 1


def test_package_version_is_locked_once_sent(cast, offer, package):
    offer_building.package_add(
        option=offer.options.first(), actor=cast.kam, version=package
    )
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    assert PackageVersion.objects.get(pk=package.pk).locked_at is not None


@pytest.mark.pdf
def test_comparison_rows_put_the_same_item_side_by_side(cast, offer, products):
    standard, premium = offer.options.all()
    # the seat twice in Premium: the second one gets a row of its own
    offer_building.line_add(
        option=premium, actor=cast.kam, product=products["seat"], quantity=Decimal("2")
    )
    standard, premium = offer.options.prefetch_related("lines")
    rows = offer_documents.comparison_rows([standard, premium])
    assert [description for description, _cells in rows] == [
        "Enterprise seat",
        "Full-text archive",
        "Enterprise seat",
    ]
    quantities = [
        [cell.quantity if cell else None for cell in cells] for _d, cells in rows
    ]
    assert quantities == [
        [Decimal("10"), Decimal("20")],
        [None, Decimal("1")],
        [None, Decimal("2")],
    ]
    text = pdf_text(offer_documents.offer_pdf(offer))
    seat_row = next(line for line in text.splitlines() if "Enterprise seat" in line)
    assert "10 ×" in seat_row and "20 ×" in seat_row  # both options on one row


@pytest.mark.parametrize("months", [0, offer_building.MAX_DURATION_MONTHS + 1, 30000])
def test_a_term_outside_one_month_to_ten_years_is_refused(cast, offer, months):
    with pytest.raises(ApplicationError) as refused:
        offer_building.offer_create(
            account=offer.account,
            contact=offer.contact,
            actor=cast.kam,
            title="Too long",
            duration_months=months,
        )
    assert refused.value.extra["field"] == "duration_months"
    assert Offer.objects.filter(title="Too long").count() == 0
