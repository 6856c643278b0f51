"""Production: every secret and address must come from the environment."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from core import webhook_signing

from .base import *  # noqa: F403
from .base import env

KAM_ENVIRONMENT = "production"
DEBUG = False

# env("X") without a default raises ImproperlyConfigured naming X.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# e.g. anymail.backends.postmark.EmailBackend
OUTBOX_DELIVERY_BACKEND = env("OUTBOX_DELIVERY_BACKEND")
# The provider's webhooks (delivery tracking, inbound replies) authenticate with it as
# HTTP basic auth ("user:password" in the webhook URL); without it every webhook is
# refused (core/webhooks.py), so it is required here.
ANYMAIL = {**ANYMAIL, "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET")}  # noqa: F405
if ":" not in ANYMAIL["WEBHOOK_SECRET"] or len(ANYMAIL["WEBHOOK_SECRET"]) < 16:
    raise ImproperlyConfigured(
        "ANYMAIL_WEBHOOK_SECRET must be user:password, at least 16 characters in all."
    )
# A provider that signs its webhooks is checked with its key: without it anymail
# would check nothing (core/webhook_signing.py).
_unsigned = webhook_signing.missing_keys(OUTBOX_DELIVERY_BACKEND, ANYMAIL)
if _unsigned:
    raise ImproperlyConfigured(
        f"{OUTBOX_DELIVERY_BACKEND} signs its webhooks: set {', '.join(_unsigned)}."
    )

# Where people reach KAM: every emailed link (acceptance, signing, reminders) and the
# calendar feed start with it, and workers have no request to take it from.
KAM_BASE_URL = env("KAM_BASE_URL")
_base = urlsplit(KAM_BASE_URL)
if _base.scheme not in ("http", "https") or not _base.hostname or _base.query:
    raise ImproperlyConfigured(
        f"KAM_BASE_URL must be the address people open KAM at, such as "
        f"https://kam.example.com, not {KAM_BASE_URL!r}."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
