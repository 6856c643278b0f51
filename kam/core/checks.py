"""Deploy checks (`manage.py check --deploy`) for what KAM needs in production."""

from django.core import checks

from kam.core.webhooks import webhook_secret


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
