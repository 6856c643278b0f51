"""The whole lifecycle in Chromium, from the sales handoff to the renewal, with a
screenshot of every step (tests/e2e/artifacts/lifecycle-*.png).

Sales hands over a new customer → the manager assigns a KAM → the KAM adds the buyer,
plans the account and builds a two-option offer that needs approval → the manager
approves → the offer is e-mailed → the customer accepts through the link in the e-mail →
the contract is e-mailed and signed through its link → customer services finalize it in
the admin → the invoice e-mail arrives → time moves on (run_renewals --date) → the
standing order renews and bills; a second contract without auto-renew gets a renewal
offer, then closes unrenewed and its account shows on the recovery list.
"""

import json
import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account
from contracts.models import Contract, Invoice
from contracts.services import acceptance, billing, lifecycle
from contracts.services import signing as contract_signing
from offers.models import Offer
from offers.services import building as offer_building
from offers.services import sending as offer_sending
from renewals.models import Churn
from tests.contracts.helpers import product
from tests.core.test_pdf import pdf_text
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_offer_journey import (
    approve_first_request,
    discount_second_option,
    new_page,
    request_approval,
    start_two_option_offer,
)
from tests.e2e.test_smoke import login
from tests.factories import AccountFactory, ContactFactory
from tests.offers.helpers import ensure_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"https?://\S+")


def shot(page, step: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"lifecycle-{step}.png"), full_page=True)


def link_in(message, path: str) -> str:
    """The link to `path` in an e-mail's text, as the customer would click it."""
    found = [u for u in LINK.findall(message.body) if path in u]
    assert found, (path, message.body)
    return found[0].rstrip(".,)")


def mail_to(address: str, subject: str):
    found = [m for m in mail.outbox if address in m.to and subject in m.subject]
    assert len(found) == 1, [(m.to, m.subject) for m in mail.outbox]
    return found[0]


def second_contract_without_auto_renew(kam, cs, start_on) -> Contract:
    """Another key account of the KAM, with a one-year contract that does not renew."""
    account = AccountFactory(
        owner=kam, name="Atlas Verlag", legal_name="Atlas Verlag GmbH",
        is_key_account=True, street="Ring 2", postal_code="50667", city="Köln",
        country="DE",
    )  # fmt: skip
    contact = ContactFactory(account=account, email="einkauf@atlas.example")
    offer = offer_building.offer_create(
        account=account, contact=contact, actor=kam, title="Archive access",
        start_on=start_on, duration_months=12, auto_renew=False,
    )  # fmt: skip
    offer_building.line_add(option=offer.options.get(), actor=kam,
                            product=product(code="ARCH", price="2400.00"),
                            quantity=Decimal(1))  # fmt: skip
    offer_sending.offer_send(offer=offer, actor=kam)
    acceptance.offer_accept(offer=offer, option=offer.options.get(),
                                name="Jan Roth", ip="192.0.2.7")  # fmt: skip
    contract = contract_signing.contract_send(
        contract=Contract.objects.get(offer=offer)
    )
    contract = contract_signing.contract_sign(contract=contract, name="Jan Roth",
                                               agreed=True)  # fmt: skip
    return lifecycle.contract_finalize(contract=contract, actor=cs)


def run_renewals(day) -> dict:
    out = StringIO()
    call_command("run_renewals", "--date", day.isoformat(), "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.mark.pdf
def test_the_whole_lifecycle(page, browser, live_server, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.KAM_BASE_URL = live_server.url  # links in e-mails point at this server
    ensure_defaults()
    product(code="SEAT", price="360.00")
    today = timezone.localdate()

    # 1. sales hand over a newly won customer to team North
    sales = new_page(browser, live_server)
    login(sales, "kam3")
    sales.goto("/accounts/handoffs/new/")
    sales.get_by_label("Customer name").fill("Nordlicht Media GmbH")
    sales.get_by_label("Country").fill("DE")
    sales.get_by_label("Needs").fill("Research archive for 40 analysts")
    sales.get_by_label("Expected annual revenue (EUR)").fill("60000")
    sales.get_by_label("Proposed service path").select_option("key_account")
    sales.get_by_label("Key account team").select_option(label="North")
    shot(sales, "01-handoff")
    sales.get_by_role("button", name="Hand over").click()
    expect(sales.get_by_role("alert").first).to_be_visible()
    account = Account.objects.get(name="Nordlicht Media GmbH")
    assert account.owner == cast.manager and account.is_key_account

    # 2. the manager assigns a KAM
    manager = new_page(browser, live_server)
    login(manager, "manager")
    manager.goto("/accounts/handoffs/")
    manager.get_by_role("link", name="Assign KAM").click()
    manager.get_by_label("Key account manager").select_option(label=str(cast.kam))
    shot(manager, "02-assign")
    manager.get_by_role("button", name="Assign").click()
    expect(manager.get_by_role("alert").first).to_contain_text("now belongs to")
    account.refresh_from_db()
    assert account.owner == cast.kam

    # 3. the KAM completes the billing address, adds the buyer and plans the account
    login(page, "kam")
    page.goto(f"/accounts/{account.pk}/edit/")
    page.get_by_label("Legal name").fill("Nordlicht Media GmbH")
    page.get_by_label("Street").fill("Hafenstr. 1")
    page.get_by_label("Postal code").fill("20457")
    page.get_by_label("City").fill("Hamburg")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("account-name")).to_contain_text("Nordlicht Media")
    page.goto(f"/accounts/{account.pk}/contacts/new/")
    page.get_by_label("First name").fill("Vera")
    page.get_by_label("Last name").fill("Meier")
    page.get_by_label("Email").fill("vera@nordlicht.example")
    page.get_by_role("button", name=re.compile("Save|Add")).click()
    page.goto(f"/insights/accounts/{account.pk}/plans/")
    page.get_by_role("button", name="Start").click()
    page.get_by_label("Strengths").fill("Long-standing archive users")
    page.get_by_label("Opportunities").fill("Analyst seats for the new research unit")
    page.get_by_role("button", name="Save").click()
    objective = page.get_by_test_id("objective-form")
    objective.get_by_label("Objective").fill("Seats in use")
    objective.get_by_label("Measured by").fill("Active seats")
    objective.get_by_label("Target").fill("40")
    objective.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("objectives")).to_contain_text("Seats in use")
    shot(page, "03-plan")

    # 4. … and builds a two-option offer; the discount on option 2 needs approval
    page.goto(f"/offers/new/{account.pk}/")
    options = start_two_option_offer(page, "Research archive 2027")
    for i in range(2):
        form = options.nth(i).get_by_test_id("product-form")
        form.get_by_label("Product").select_option(label="Seat licence")
        form.get_by_label("Qty").fill("40")
        form.get_by_role("button", name="Add", exact=True).click()
        expect(options.nth(i).get_by_test_id("option-net")).to_contain_text("14,400.00")
    discount_second_option(page)
    shot(page, "04-offer-editor")
    request_approval(page)

    # 5. the manager approves
    approve_first_request(manager, "Fine for a first year")
    shot(manager, "05-approved")

    # 6. the KAM e-mails the offer, with its PDF
    page.reload()
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("offer-status").first).to_have_text("Sent")
    shot(page, "06-offer-sent")
    offer = Offer.objects.get(account=account)
    offer_mail = mail_to("vera@nordlicht.example", offer.number)
    assert any(name.endswith(".pdf") for name, *_ in offer_mail.attachments)

    # 7. the customer accepts option 2 through the link in the e-mail
    customer = new_page(browser, live_server)
    customer.goto(link_in(offer_mail, "/accept/"))
    form = customer.get_by_test_id("accept-form")
    form.get_by_label("Premium").check()
    form.get_by_label("Your name").fill("Vera Meier")
    form.get_by_label("I accept this offer").check()
    shot(customer, "07-accept")
    form.get_by_role("button", name="Accept the offer").click()
    expect(customer.get_by_test_id("thanks")).to_contain_text("Premium")

    # 8. the contract arrives by e-mail and is signed through its link
    contract = Contract.objects.get(offer=offer)
    contract_mail = mail_to("vera@nordlicht.example", contract.number)
    customer.goto(link_in(contract_mail, "/sign/"))
    # what the customer signs: the term's figures on the signing page
    signed_net = customer.get_by_test_id("figures-term-net").inner_text()
    signed_gross = customer.get_by_test_id("figures-term-gross").inner_text()
    form = customer.get_by_test_id("sign-form")
    form.get_by_label("Your full name").fill("Vera Meier")
    form.get_by_label("I have read the contract").check()
    form.get_by_role("button", name="Sign the contract").click()
    expect(customer.get_by_test_id("signed")).to_contain_text("Vera Meier")
    shot(customer, "08-signed")

    # 9. customer services finalize it in the admin
    cs = new_page(browser, live_server)
    login(cs, "cs")
    cs.get_by_test_id("ready-count").click()
    cs.get_by_role("link", name=contract.number).click()
    cs.get_by_test_id("finalize").click()
    shot(cs, "09-finalize")
    cs.get_by_role("button", name="Finalize: start subscriptions and invoice").click()
    expect(cs.locator(".messagelist")).to_contain_text(f"{contract.number} finalized")

    # 10. the invoice e-mail arrives, with its PDF: billed what was signed
    invoice = Invoice.objects.get(contract=contract)
    invoice_mail = mail_to("vera@nordlicht.example", invoice.number)
    [pdf] = [
        body for name, body, *_ in invoice_mail.attachments if name.endswith(".pdf")
    ]
    contract.refresh_from_db()
    signed = contract.option.figures()  # the accepted option, as offered and signed
    assert (f"{signed.term.net:,.2f}", f"{signed.term.gross:,.2f}") == (
        signed_net,
        signed_gross,
    )
    assert len(signed.invoices) == 1  # billed yearly: one invoice for the term
    assert f"Total (EUR) {signed_gross}" in " ".join(pdf_text(pdf).split())
    assert (invoice.net, invoice.gross) == (signed.term.net, signed.term.gross)
    page.goto(contract.get_absolute_url())
    expect(page.get_by_role("link", name=invoice.number)).to_be_visible()
    shot(page, "10-contract-running")

    # 11. a second key account's contract does not renew by itself
    contract.refresh_from_db()
    other = second_contract_without_auto_renew(cast.kam, cast.cs, contract.start_on)
    assert contract.auto_renew and not other.auto_renew
    assert other.end_on == contract.end_on

    # 12. time moves on: the renewal window opens …
    counts = run_renewals(contract.end_on - timedelta(days=60))
    assert counts["failures"] == 0 and counts["renewal_offers"] >= 1
    other.refresh_from_db()
    assert other.renewal_offer is not None
    page.goto(other.get_absolute_url())
    expect(page.get_by_test_id("renewal-diff")).to_be_visible()
    shot(page, "12-renewal-offer")

    # 13. … and the terms end: the standing order renews and bills, the other closes
    counts = run_renewals(contract.end_on + timedelta(days=1))
    assert counts["failures"] == 0
    assert counts["renewed"] >= 1 and counts["ended"] >= 1
    assert counts["accounts_lost"] >= 1
    page.goto(contract.get_absolute_url())
    terms = page.get_by_test_id("terms").locator("li")
    expect(terms).to_have_count(2)
    expect(terms.nth(1)).to_contain_text("Automatic renewal")
    renewal_invoice = contract.invoices.get(issued_on=contract.end_on + timedelta(1))
    expect(page.get_by_role("cell", name=renewal_invoice.number)).to_be_visible()
    # the renewal bills the same lines for the new term: the signed yearly figures
    renewal_pdf = billing.invoice_pdf(renewal_invoice)
    assert renewal_invoice.gross == signed.year.gross == signed.term.gross
    assert f"Total (EUR) {signed_gross}" in " ".join(pdf_text(renewal_pdf).split())
    shot(page, "13-renewed")
    assert contract.invoices.count() == 2
    other.refresh_from_db()
    assert other.status == Contract.Status.ENDED
    assert Churn.objects.filter(account=other.account).count() == 1

    # 14. the lost account is on the recovery list
    page.goto("/renewals/recovery/")
    expect(page.get_by_test_id("recovery-table")).to_contain_text("Atlas Verlag")
    shot(page, "14-recovery")
    # running the night again changes nothing
    again = run_renewals(contract.end_on + timedelta(days=1))
    assert again["renewed"] == 0 and again["ended"] == 0
    assert contract.invoices.count() == 2
    assert page.console_errors == []
    assert today <= contract.start_on
