"""Settings for the outbox benchmark's worker processes: the test settings, a real
(non-eager) Celery on Redis db 14, and a provider that takes time to answer."""

from kam.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
OUTBOX_DELIVERY_BACKEND = "bench_provider.Backend"
