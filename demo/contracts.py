"""Demo contracts and invoices in every status (seed_demo)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from accounts.validators import EU_COUNTRIES
from catalog.models import PackageVersion
from contracts.models import (
    Contract,
    Invoice,
)
from contracts.services import acceptance, billing, lifecycle, notice, seeding
from contracts.services import signing as contract_signing
from offers.models import Offer
from offers.services import building as offer_building
from offers.services import sending as offer_sending

# (title, contract steps, trial days, start in days)
STORIES = [
    ("Newsroom licence (awaiting dispatch)", [], 0, 14),
    ("Archive access (awaiting signature)", ["send"], 0, 14),
    ("Data feed (signed)", ["send", "sign"], 0, 14),
    (
        "Analyst bundle (overdue)",
        ["send", "sign", "finalize", "overdue", "manual", "ends:25"],
        0,
        0,
    ),
    ("Market intelligence 2027 (starts later)", ["send", "sign", "finalize"], 0, 40),
    ("Enterprise seats (paid)", ["send", "sign", "finalize", "paid", "ends:150"], 0, 0),
    (
        "Newsroom plus (invoice sent)",
        ["send", "sign", "finalize", "mail", "ends:45"],
        0,
        0,
    ),
    ("Research trial", ["send", "sign", "finalize"], 30, 0),
    ("Print edition (credited)", ["send", "sign", "finalize", "credit"], 0, 0),
    ("Events package (cancelled)", ["send", "cancel"], 0, 14),
    ("Conference licence 2025 (ended)", ["send", "sign", "finalize", "end"], 0, 0),
    ("Standing order 2025 (renews)", ["send", "sign", "finalize", "past"], 0, 0),
    (
        "Campus licence (fixed term)",
        ["send", "sign", "finalize", "manual", "ends:120"],
        0,
        0,
    ),
    (
        "Mobile app seats (notice given)",
        ["send", "sign", "finalize", "ends:120", "notice"],
        0,
        0,
    ),
]


def _accept_the_offers_demo_bundle() -> None:
    """The offers demo's "Research bundle" is accepted by phone (Premium): the step
    that makes its contract."""
    offer = (
        Offer.objects.filter(title="Research bundle", status=Offer.Status.SENT)
        .select_related("account__owner", "contact")
        .first()
    )
    if offer is None:
        return
    acceptance.offer_accept(
        offer=offer,
        option=offer.options.get(name="Premium"),
        name=str(offer.contact),
        title=offer.contact.job_title,
        channel="phone",
        actor=offer.account.owner,
    )


def seed(ctx) -> None:
    if Contract.objects.filter(title__startswith="Enterprise seats").exists():
        return
    cs = ctx.users["cs"]
    _accept_the_offers_demo_bundle()
    versions = list(PackageVersion.objects.select_related("package").order_by("pk"))
    used = set(Offer.objects.values_list("account_id", flat=True))
    accounts = [
        a
        for a in Account.objects.filter(
            owner__username__in=["kam", "kam2"], is_key_account=True
        )
        .exclude(street="")
        .filter(Q(country="DE") | ~Q(vat_id="") | ~Q(country__in=EU_COUNTRIES))
        .select_related("owner")
        .order_by("owner__username", "pk")
        if a.pk not in used
    ][: len(STORIES)]
    today = timezone.localdate()
    for (title, steps, trial_days, start_in), account in zip(
        STORIES, accounts, strict=False
    ):
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
            title=title.split(" (")[0],
            valid_until=today + timedelta(days=30),
            start_on=today + timedelta(days=start_in),
        )
        option = offer.options.get()
        offer_building.package_add(
            option=option, actor=kam, version=versions[len(title) % len(versions)]
        )
        offer_sending.offer_send(offer=offer, actor=kam)
        contract = acceptance.offer_accept(
            offer=offer,
            option=option,
            name=str(contact),
            title=contact.job_title,
            channel="phone",
            actor=kam,
        )
        if trial_days:
            lifecycle.contract_update_terms(
                contract=contract,
                actor=cs,
                trial_days=trial_days,
                payment_terms_days=14,
                renewal_months=12,
            )
        for step in steps:
            if step == "send":
                contract_signing.contract_send(contract=contract)
            elif step == "sign":
                contract_signing.contract_sign(
                    contract=contract,
                    name=str(contact),
                    title=contact.job_title,
                    agreed=True,
                    ip="192.0.2.10",
                    user_agent="Demo browser",
                )
            elif step == "finalize":
                lifecycle.contract_finalize(contract=contract, actor=cs)
            elif step == "paid":
                for invoice in contract.invoices.all():
                    billing.invoice_send(invoice=invoice)
                    billing.invoice_mark_paid(invoice=invoice, actor=cs)
            elif step == "mail":
                for invoice in contract.invoices.all():
                    billing.invoice_send(invoice=invoice)
            elif step == "overdue":
                for invoice in contract.invoices.all():
                    billing.invoice_send(invoice=invoice)
                billing.invoices_mark_overdue(today=today + timedelta(days=30))
            elif step == "credit":
                for invoice in contract.invoices.filter(kind=Invoice.Kind.INVOICE):
                    billing.invoice_credit(
                        invoice=invoice, actor=cs, reason="Billed to the wrong entity"
                    )
            elif step == "end":
                # demo only: the term ended yesterday; the nightly job (renewals
                # demo) closes it and the account is lost
                seeding.seeded_manual_renewal(contract)
                seeding.seeded_term_move(
                    contract,
                    start_on=today - timedelta(days=365),
                    end_on=today - timedelta(days=1),
                )
            elif step == "past":
                # demo only: the first year ended yesterday; the job renews it
                seeding.seeded_term_move(
                    contract,
                    start_on=today - timedelta(days=365),
                    end_on=today - timedelta(days=1),
                )
            elif step == "manual":
                seeding.seeded_manual_renewal(contract)
            elif step.startswith("ends:"):
                days = int(step.split(":")[1])
                seeding.seeded_term_move(
                    contract,
                    start_on=today + timedelta(days=days) - timedelta(days=364),
                    end_on=today + timedelta(days=days),
                )
            elif step == "notice":
                notice.contract_notice_receive(
                    contract=contract,
                    actor=cs,
                    received_on=today,
                    reason="Consolidating suppliers after a merger",
                )
            elif step == "cancel":
                lifecycle.contract_cancel(
                    contract=contract, actor=cs, reason="Merged into the group contract"
                )
