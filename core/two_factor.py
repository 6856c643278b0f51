"""Two-factor sign-in for staff (django-otp): a time-based code from an
authenticator app (TOTP), and ten single-use recovery codes. Required for the
roles in KAM_TWO_FACTOR_REQUIRED_ROLES (administrators and customer services in
production), optional for everyone else; the admin is behind it too."""

import base64
import io
import secrets

from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
SETUP_NAME = "authenticator"


def required_for(user) -> bool:
    """Whether the user must sign in with a second factor (by their roles)."""
    required = set(settings.KAM_TWO_FACTOR_REQUIRED_ROLES)
    return bool(required and user.role_names & required)


def has_device(user) -> bool:
    """Whether the user has a confirmed authenticator (or recovery codes)."""
    return any(True for _ in devices_for_user(user, confirmed=True))


def pending_totp(user) -> TOTPDevice:
    """The authenticator being set up (unconfirmed), made once."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(
        user=user, name=SETUP_NAME, confirmed=False
    )


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI of the device as an inline SVG QR code."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(device.config_url, image_factory=SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def secret_of(device: TOTPDevice) -> str:
    """The device's key as people type it into an app (base32, in groups of 4)."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def confirm(user, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the authenticator being set up with a code from it; returns it and
    new recovery codes (shown once), or None for a wrong code."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .first()
    )
    if device is None or not device.verify_token(_clean(code)):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one app
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, recovery_codes_new(user)


@transaction.atomic
def recovery_codes_new(user) -> list[str]:
    """Ten new recovery codes (the old ones stop working)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def verify(user, code: str):
    """The device a code (from the app, or a recovery code, used up) verifies for
    the user, or None. Wrong codes slow down further tries (django-otp)."""
    return match_token(user, _clean(code))


@transaction.atomic
def turn_off(user) -> None:
    for device in devices_for_user(user, confirmed=None):
        device.delete()


def _clean(code: str) -> str:
    """As typed: spaces left out; a recovery code keeps its dash."""
    return "".join((code or "").split()).lower()
