"""Demo contracts and invoices in every status (seed_demo)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from catalog.models import PackageVersion
from contracts.models import Contract, Invoice
from contracts.services import billing, contracts
from contracts.services.contracts import EU_COUNTRIES
from offers import services as offer_services
from offers.models import Offer

# (title, contract steps, trial days, start in days)
STORIES = [
    ("Newsroom licence (awaiting dispatch)", [], 0, 14),
    ("Archive access (awaiting signature)", ["send"], 0, 14),
    ("Data feed (signed)", ["send", "sign"], 0, 14),
    ("Analyst bundle (overdue)", ["send", "sign", "finalize", "overdue"], 0, 0),
    ("Market intelligence 2027 (starts later)", ["send", "sign", "finalize"], 0, 40),
    ("Enterprise seats (paid)", ["send", "sign", "finalize", "paid"], 0, 0),
    ("Newsroom plus (invoice sent)", ["send", "sign", "finalize", "mail"], 0, 0),
    ("Research trial", ["send", "sign", "finalize"], 30, 0),
    ("Print edition (credited)", ["send", "sign", "finalize", "credit"], 0, 0),
    ("Events package (cancelled)", ["send", "cancel"], 0, 14),
    ("Conference licence 2025 (ended)", ["send", "sign", "finalize", "end"], 0, 0),
]


def seed(ctx) -> None:
    if Contract.objects.filter(title__startswith="Enterprise seats").exists():
        return
    cs = ctx.users["cs"]
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
        offer = offer_services.offer_create(
            account=account,
            contact=contact,
            actor=kam,
            title=title.split(" (")[0],
            valid_until=today + timedelta(days=30),
            start_on=today + timedelta(days=start_in),
        )
        option = offer.options.get()
        offer_services.package_add(
            option=option, actor=kam, version=versions[len(title) % len(versions)]
        )
        offer_services.offer_send(offer=offer, actor=kam)
        offer_services.offer_accept(
            offer=offer,
            option=option,
            name=str(contact),
            title=contact.job_title,
            channel="phone",
            actor=kam,
        )
        contract = Contract.objects.get(offer=offer)
        if trial_days:
            contracts.contract_update_terms(
                contract=contract,
                actor=cs,
                trial_days=trial_days,
                payment_terms_days=14,
                renewal_months=12,
            )
        for step in steps:
            if step == "send":
                contracts.contract_send(contract=contract)
            elif step == "sign":
                contracts.contract_sign(
                    contract=contract,
                    name=str(contact),
                    title=contact.job_title,
                    agreed=True,
                    ip="192.0.2.10",
                    user_agent="Demo browser",
                )
            elif step == "finalize":
                contracts.contract_finalize(contract=contract, actor=cs)
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
                # demo only: move the finished term into the past, then let the
                # nightly job close it as it would have
                Offer.objects.filter(pk=offer.pk).update(auto_renew=False)
                Contract.objects.filter(pk=contract.pk).update(
                    auto_renew=False,
                    cancel_by=None,
                    start_on=today - timedelta(days=400),
                    end_on=today - timedelta(days=35),
                )
                contracts.contracts_end_due(today=today)
            elif step == "cancel":
                contracts.contract_cancel(
                    contract=contract, actor=cs, reason="Merged into the group contract"
                )
