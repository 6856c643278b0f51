"""The customer signs the contract online; customer services finalize it in the
admin; the KAM sees it finalized with its subscription and invoice."""

import pytest
from playwright.sync_api import expect

from contracts.models import Contract, Invoice
from contracts.services import signing as contract_signing
from tests.contracts.helpers import contract_for
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_offer_journey import new_page
from tests.e2e.test_smoke import login
from tests.offers.helpers import ensure_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_finalize_and_see_it_running(
    page, browser, live_server, cast, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()
    contract = contract_for(cast.kam, sign=False)

    # the customer signs through the emailed link
    customer = new_page(browser, live_server)
    customer.goto(f"/contracts/sign/{contract_signing.signing_token(contract)}/")
    form = customer.get_by_test_id("sign-form")
    form.get_by_label("Your full name").fill("Vera Meier")
    form.get_by_role("button", name="Sign the contract").click()
    expect(form.locator(".invalid-feedback, .errorlist").first).to_be_visible()
    form = customer.get_by_test_id("sign-form")
    form.get_by_label("Your full name").fill("Vera Meier")
    form.get_by_label("I have read the contract").check()
    form.get_by_role("button", name="Sign the contract").click()
    expect(customer.get_by_test_id("signed")).to_contain_text("Vera Meier")
    customer.screenshot(path=str(ARTIFACTS / "contract-signed.png"), full_page=True)

    # customer services see it on their worklist and finalize it in the admin
    cs = new_page(browser, live_server)
    login(cs, "cs")
    expect(cs.get_by_test_id("ready-count")).to_have_text("1")
    cs.get_by_test_id("ready-count").click()
    cs.wait_for_load_state()
    cs.screenshot(path=str(ARTIFACTS / "contract-worklist.png"), full_page=True)
    cs.get_by_role("link", name=contract.number).click()
    cs.get_by_test_id("finalize").click()
    cs.screenshot(path=str(ARTIFACTS / "contract-finalize.png"), full_page=True)
    cs.get_by_role("button", name="Finalize: start subscriptions and invoice").click()
    expect(cs.locator(".messagelist")).to_contain_text(f"{contract.number} finalized")

    # the KAM sees it active, with subscription and invoice
    login(page, "kam")
    page.goto(contract.get_absolute_url())
    contract.refresh_from_db()
    expected = "Active" if contract.status == Contract.Status.ACTIVE else "Finalized"
    status = page.get_by_test_id("contract-title").get_by_test_id("contract-status")
    expect(status).to_have_text(expected)
    expect(
        page.get_by_role("link", name=contract.invoices.get().number)
    ).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "contract-active.png"), full_page=True)
    assert contract.status in (Contract.Status.ACTIVE, Contract.Status.FINALIZED)
    assert contract.signer_ip == "127.0.0.1"
    assert Invoice.objects.filter(contract=contract).count() == 1
    assert page.console_errors == []
