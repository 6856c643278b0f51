"""Deploy checks (`manage.py check --deploy`) for what KAM needs in production."""

from django.conf import settings
from django.core import checks

from core import webhook_signing
from core.webhooks import webhook_secret


@checks.register(checks.Tags.security, deploy=True)
def webhook_secret_check(app_configs, **kwargs):
    """The provider's webhooks need a secret: without one they refuse every call."""
    secret = webhook_secret()
    if ":" in secret and len(secret) >= 16:
        return []
    return [
        checks.Error(
            "ANYMAIL_WEBHOOK_SECRET is not set (or is no user:password of 16 "
            "characters or more): delivery tracking and inbound replies are refused.",
            hint="Set ANYMAIL_WEBHOOK_SECRET and give the same user:password to the "
            "e-mail provider's webhook URLs.",
            id="kam.E001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def webhook_signing_check(app_configs, **kwargs):
    """A provider that signs its webhooks needs its key, or nothing is checked."""
    backend = getattr(settings, "OUTBOX_DELIVERY_BACKEND", "") or ""
    missing = webhook_signing.missing_keys(
        backend, getattr(settings, "ANYMAIL", None) or {}
    )
    if not missing:
        return []
    return [
        checks.Error(
            f"{backend} signs its webhooks, but {', '.join(missing)} is not set: "
            "its webhooks are refused.",
            hint="Copy the webhook signing key from the provider's dashboard.",
            id="kam.E002",
        )
    ]
