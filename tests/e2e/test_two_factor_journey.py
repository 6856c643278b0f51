"""Customer services must sign in with a second factor: at the first sign-in
they set up an authenticator (QR code or key), keep the recovery codes, and from
then on give a code after the password; the admin is behind it too."""

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_smoke import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def code_now(device) -> str:
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    token.time = time.time()
    return f"{token.token():0{device.digits}d}"


def test_customer_services_set_up_and_use_two_factor_sign_in(page, cast, settings):
    settings.KAM_TWO_FACTOR_REQUIRED_ROLES = ["Administrator", "Customer Services"]
    login(page, "cs")
    # asked to set it up before anything else
    expect(page.get_by_test_id("two-factor-required")).to_be_visible()
    expect(page.locator(".two-factor-qr svg")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "two-factor-setup.png"), full_page=True)
    device = TOTPDevice.objects.get(user=cast.cs, confirmed=False)
    page.get_by_label("Six-digit code from the app").fill(code_now(device))
    page.get_by_test_id("two-factor-confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    page.get_by_role("link", name="I have kept them").click()
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()  # the admin, once verified
    # next time: the password, then a code; a wrong one is refused
    page.context.clear_cookies()
    login(page, "cs")
    field = page.get_by_label("Code from your authenticator app, or a recovery code")
    field.fill("123456")
    page.get_by_test_id("two-factor-submit").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("not right")
    page.screenshot(path=str(ARTIFACTS / "two-factor-code.png"), full_page=True)
    # the phone not at hand: a recovery code, once (after the wrong code's pause)
    time.sleep(1.2)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        recovery
    )
    page.get_by_test_id("two-factor-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()
