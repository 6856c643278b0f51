"""Tests: real PostgreSQL and Redis, overridable by DATABASE_URL / CELERY_BROKER_URL."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kam")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

from .base import *  # noqa: F403
from .base import VAR_DIR

KAM_ENVIRONMENT = "test"
DEBUG = False
SECRET_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
OUTBOX_RETRY_BASE_SECONDS = 0
KAM_SEGMENT_CACHE_SECONDS = 0  # every test computes its own data
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Unit tests run tasks in-process; tests marked `worker` start a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# a test's data lives in its open transaction, invisible to other connections:
# one worker unless a test asks for more (tests/renewals/test_robustness.py)
KAM_RENEWALS_WORKERS = int(os.environ.get("KAM_RENEWALS_WORKERS", "1"))

# A process started by a test joins the run's clock (tests/clock.py: `pytest --today`).
if os.environ.get("KAM_TEST_CLOCK_SHIFT"):
    from tests.clock import start

    start(None, TIME_ZONE)  # noqa: F405
# tests that need two-factor sign-in required ask for it (tests/core/test_two_factor.py)
KAM_TWO_FACTOR_REQUIRED_ROLES = []
