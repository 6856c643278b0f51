"""Development: the embedded default used by `make run`."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

KAM_ENVIRONMENT = "dev"
DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production"
)
# Emailed links and the calendar feed point at the served address: `make run` passes
# its PORT on as KAM_PORT to every process (the worker writes most links).
KAM_BASE_URL = env(
    "KAM_BASE_URL", default=f"http://127.0.0.1:{env.int('KAM_PORT', default=8000)}"
)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"]
)
# Delivered mail lands as files in var/mail; the Outbox page shows the stored copy.
OUTBOX_DELIVERY_BACKEND = env(
    "OUTBOX_DELIVERY_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# the demo's logins work with a password alone; two-factor stays optional (set
# KAM_TWO_FACTOR_REQUIRED_ROLES to require it, as production does)
KAM_TWO_FACTOR_REQUIRED_ROLES = env.list("KAM_TWO_FACTOR_REQUIRED_ROLES", default=[])
