"""Two-factor sign-in (core.two_factor): the password first, then a code from the
authenticator app or a recovery code (once); required roles set it up before
anything else, the admin included; optional for the others."""

import re
import time

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass"


@pytest.fixture(autouse=True)
def clock():
    """Time stands still; `clock()` moves it to the next 30-second step (a code is
    accepted once, and wrong codes slow down the next try)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield lambda: traveller.shift(31)


def code_of(device) -> str:
    """The code the app shows now (RFC 6238, as an authenticator computes it)."""
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    token.time = time.time()
    return f"{token.token():0{device.digits}d}"


def sign_in(client, user):
    return client.post(
        "/auth/login/", {"username": user.username, "password": PASSWORD}
    )


def set_up(client, user) -> tuple[TOTPDevice, list[str]]:
    """Set up an authenticator through the pages; its device and recovery codes."""
    client.force_login(user)
    assert client.get("/auth/two-factor/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page = client.post("/auth/two-factor/setup/", {"code": code_of(device)})
    codes = re.findall(r"<li class=\"col\">([0-9a-f]{6}-[0-9a-f]{6})</li>",
                       page.content.decode())  # fmt: skip
    device.refresh_from_db()
    assert device.confirmed and len(codes) == 10
    client.logout()
    return device, codes


def test_a_user_with_an_authenticator_signs_in_with_its_code(client, cast, clock):
    device, _codes = set_up(client, cast.kam)
    clock()
    response = sign_in(client, cast.kam)
    assert response["Location"] == "/auth/two-factor/code/"
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/auth/two-factor/code/", {"code": "000000"})
    assert "not right" in wrong.content.decode()
    clock()
    response = client.post("/auth/two-factor/code/", {"code": code_of(device)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_recovery_code_signs_in_once(client, cast, clock):
    _device, codes = set_up(client, cast.kam)
    sign_in(client, cast.kam)
    assert client.post("/auth/two-factor/code/", {"code": codes[0]}).status_code == 302
    assert client.get("/").status_code == 200
    client.logout()
    sign_in(client, cast.kam)
    again = client.post("/auth/two-factor/code/", {"code": codes[0]})
    assert "not right" in again.content.decode()
    assert client.get("/").status_code == 302


def test_without_an_authenticator_the_password_is_enough(client, cast):
    response = sign_in(client, cast.kam)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_required_role_sets_it_up_before_anything_else(client, cast, settings):
    settings.KAM_TWO_FACTOR_REQUIRED_ROLES = ["Administrator", "Customer Services"]
    sign_in(client, cast.cs)
    for path in ("/", "/admin/", "/admin/contracts/invoice/"):
        assert client.get(path)["Location"] == "/auth/two-factor/setup/", path
    page = client.get("/auth/two-factor/setup/").content.decode()
    assert 'data-testid="two-factor-required"' in page
    # a KAM is not asked
    client.logout()
    sign_in(client, cast.kam)
    assert client.get("/").status_code == 200


def test_a_session_that_skipped_the_code_is_signed_out(client, cast):
    set_up(client, cast.kam)
    client.force_login(cast.kam)  # a session made without the second factor
    assert client.get("/")["Location"] == "/auth/login/"
    assert client.get("/accounts/")["Location"].startswith("/auth/login/")


def test_turning_it_off_needs_a_code_and_is_refused_to_required_roles(
    client, cast, settings, clock
):
    device, _codes = set_up(client, cast.kam)
    clock()
    sign_in(client, cast.kam)
    client.post("/auth/two-factor/code/", {"code": code_of(device)})
    assert client.get("/").status_code == 200
    clock()
    client.post("/auth/two-factor/", {"action": "off", "code": "123456"})
    assert TOTPDevice.objects.filter(user=cast.kam, confirmed=True).exists()
    clock()
    client.post("/auth/two-factor/", {"action": "off", "code": code_of(device)})
    assert not TOTPDevice.objects.filter(user=cast.kam).exists()
    # an administrator keeps it
    settings.KAM_TWO_FACTOR_REQUIRED_ROLES = ["Administrator"]
    device, _codes = set_up(client, cast.admin)
    clock()
    sign_in(client, cast.admin)
    client.post("/auth/two-factor/code/", {"code": code_of(device)})
    page = client.get("/auth/two-factor/").content.decode()
    assert "Turn off" not in page
    clock()
    client.post("/auth/two-factor/", {"action": "off", "code": code_of(device)})
    assert TOTPDevice.objects.filter(user=cast.admin, confirmed=True).exists()


def test_an_administrator_resets_a_users_lost_second_factor(client, cast, clock):
    set_up(client, cast.kam)
    client.force_login(cast.admin)
    response = client.post("/admin/core/user/", {
        "action": "reset_two_factor", "_selected_action": [cast.kam.pk],
    })  # fmt: skip
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.kam).exists()
    # the password alone signs in again
    client.logout()
    assert sign_in(client, cast.kam)["Location"] == "/"
    # django-otp's own device pages (which show a secret) are not in the admin
    client.force_login(cast.admin)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
