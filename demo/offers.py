"""Demo offers in every status (seed_demo)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account, Contact
from catalog.models import PackageVersion
from offers.models import Offer
from offers.services import answers as offer_answers
from offers.services import approval as offer_approval
from offers.services import building as offer_building
from offers.services import sending as offer_sending
from offers.services import tracking as offer_tracking

# (title, statuses to walk through, option discount)
STORIES = [
    ("Newsroom seats for 2027", [], Decimal("5")),
    ("Archive upgrade", ["request"], Decimal("25")),
    ("Enterprise intelligence", ["request", "approve"], Decimal("22")),
    ("Analyst API", ["request", "reject"], Decimal("40")),
    ("Renewal with more seats", ["send"], Decimal("5")),
    # accepted by phone in contracts/demo.py: accepting makes a contract, which
    # only the contracts app can (contracts.services.acceptance)
    ("Research bundle", ["send"], Decimal("8")),
    ("Print and digital", ["send", "decline"], Decimal("0")),
    ("Trial conversion", ["send", "expire"], Decimal("0")),
    ("Data package", ["send", "revise"], Decimal("10")),
]


def seed(ctx) -> None:
    if Offer.objects.exists():
        return
    manager = ctx.users["manager"]
    accounts = list(
        Account.objects.filter(owner=ctx.users["kam"], is_key_account=True)
        .select_related("owner")
        .order_by("pk")[: len(STORIES)]
    )
    versions = list(PackageVersion.objects.select_related("package").order_by("pk"))
    today = timezone.localdate()
    for (title, steps, discount), account in zip(STORIES, accounts, strict=False):
        contact = (
            account.contacts.exclude(email="").filter(do_not_contact=False).first()
        )
        if contact is None:
            continue
        kam = account.owner
        offer = offer_building.offer_create(
            account=account,
            contact=contact,
            actor=kam,
            title=title,
            valid_until=today + timedelta(days=30),
            option_names=["Standard", "Premium"],
        )
        standard, premium = offer.options.all()
        offer_building.package_add(option=standard, actor=kam, version=versions[0])
        offer_building.package_add(
            option=premium, actor=kam, version=versions[1 % len(versions)]
        )
        if discount:
            for line in premium.lines.all()[:1]:
                offer_building.line_update(
                    line=line, actor=kam, discount_percent=discount
                )
        for step in steps:
            if step == "request":
                offer_approval.offer_request_approval(offer=offer, actor=kam)
            elif step == "approve":
                offer_approval.offer_decide(
                    offer=offer,
                    actor=manager,
                    approve=True,
                    comment="OK for a key account",
                )
            elif step == "reject":
                offer_approval.offer_decide(
                    offer=offer,
                    actor=manager,
                    approve=False,
                    comment="Discount too high",
                )
            elif step == "send":
                if offer_approval.approval_reasons(offer):
                    offer_approval.offer_request_approval(offer=offer, actor=kam)
                    offer_approval.offer_decide(
                        offer=offer, actor=manager, approve=True, comment="OK"
                    )
                offer_sending.offer_send(offer=offer, actor=kam)
            elif step == "decline":
                offer_answers.offer_decline(
                    offer=offer, reason="Budget frozen until spring", actor=kam
                )
            elif step == "expire":
                Offer.objects.filter(pk=offer.pk).update(
                    valid_until=today - timedelta(days=1)
                )
                offer_answers.offers_expire(today=today)
            elif step == "revise":
                offer_answers.offer_revise(offer=offer, actor=kam)
    _seed_inbound_mail()


def _seed_inbound_mail() -> None:
    """Two mails for the demo KAM's inbox: one that names an offer without answering
    our e-mail, one from a known contact about nothing we sent."""
    sent = Offer.objects.filter(status=Offer.Status.SENT).order_by("pk").first()
    if sent is not None:
        offer_tracking.inbound_reply_apply(
            from_email="procurement@unknown-sender.example",
            subject=f"AW: {sent.label} – please cancel",
            text="Please cancel the offer and send the invoice to our new address.",
            message_id="<demo-inbound-1@unknown-sender.example>",
        )
    contact = (
        Contact.objects.filter(account__is_key_account=True)
        .exclude(email="")
        .order_by("account_id", "pk")
        .first()
    )
    if contact is not None:
        offer_tracking.inbound_reply_apply(
            from_email=contact.email,
            subject="Seats for the new team",
            text="We are hiring 12 analysts in March. Could we talk about seats?",
            message_id="<demo-inbound-2@customer.example>",
        )
