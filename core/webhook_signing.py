"""Which e-mail providers sign their webhooks, and where anymail finds each key.

Where a provider signs (Mailgun, Mandrill, Postal, MailerSend, Mailtrap, Resend,
SendGrid, Unisender Go), anymail checks the signature with the key in the `ANYMAIL`
setting named here; without that key it checks nothing (Mailgun even falls back to
the API key, or to an empty one). KAM's webhooks refuse such an endpoint until its
key is set (core/webhooks.py); production refuses to start without the key of
the provider it sends through. Plain data: the settings import it.
"""

# anymail's webhook URL name -> the ANYMAIL setting (and environment variable)
# holding the key its signature is checked with
SIGNED_ENDPOINTS = {
    "mailgun_tracking_webhook": "MAILGUN_WEBHOOK_SIGNING_KEY",
    "mailgun_inbound_webhook": "MAILGUN_WEBHOOK_SIGNING_KEY",
    "mandrill_webhook": "MANDRILL_WEBHOOK_KEY",
    "mandrill_tracking_webhook": "MANDRILL_WEBHOOK_KEY",
    "postal_tracking_webhook": "POSTAL_WEBHOOK_KEY",
    "postal_inbound_webhook": "POSTAL_WEBHOOK_KEY",
    "mailersend_tracking_webhook": "MAILERSEND_SIGNING_SECRET",
    "mailersend_inbound_webhook": "MAILERSEND_INBOUND_SECRET",
    "mailtrap_tracking_webhook": "MAILTRAP_TRACKING_SECRET",
    "mailtrap_inbound_webhook": "MAILTRAP_INBOUND_SECRET",
    "resend_tracking_webhook": "RESEND_SIGNING_SECRET",
    "resend_inbound_webhook": "RESEND_SIGNING_SECRET",
    "sendgrid_tracking_webhook": "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",
    "unisender_go_tracking_webhook": "UNISENDER_GO_API_KEY",
}

# the sending backend's provider -> the keys its webhooks need
PROVIDER_KEYS = {
    "mailgun": ("MAILGUN_WEBHOOK_SIGNING_KEY",),
    "mandrill": ("MANDRILL_WEBHOOK_KEY",),
    "postal": ("POSTAL_WEBHOOK_KEY",),
    "mailersend": ("MAILERSEND_SIGNING_SECRET", "MAILERSEND_INBOUND_SECRET"),
    "mailtrap": ("MAILTRAP_TRACKING_SECRET", "MAILTRAP_INBOUND_SECRET"),
    "resend": ("RESEND_SIGNING_SECRET",),
    "sendgrid": ("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",),
    "unisender_go": ("UNISENDER_GO_API_KEY",),
}

# what the settings read from the environment into ANYMAIL, when set
SETTINGS = sorted(
    {
        *SIGNED_ENDPOINTS.values(),
        "SENDGRID_API_KEY",
        "MAILGUN_API_KEY",
        "MAILGUN_SENDER_DOMAIN",
        "POSTMARK_SERVER_TOKEN",
        "MAILERSEND_API_TOKEN",
        "RESEND_API_KEY",
        "MANDRILL_API_KEY",
        "POSTAL_API_URL",
        "POSTAL_API_KEY",
        "BREVO_API_KEY",
        "MAILJET_API_KEY",
        "MAILJET_SECRET_KEY",
        "SPARKPOST_API_KEY",
        "MAILTRAP_API_TOKEN",
    }
)


def provider_of(backend: str) -> str:
    """The provider of an anymail backend path ("anymail.backends.mailgun.…")."""
    parts = backend.split(".")
    return parts[2] if len(parts) > 3 and parts[:2] == ["anymail", "backends"] else ""


def missing_keys(backend: str, anymail: dict) -> list[str]:
    """The signing keys the provider of `backend` needs and `anymail` lacks."""
    keys = PROVIDER_KEYS.get(provider_of(backend), ())
    return [key for key in keys if not anymail.get(key)]
