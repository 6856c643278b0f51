"""Handing work to Celery without letting a broker outage break the request.

What is queued here is also recorded in the database (an outbox row that is READY, a
contract still in draft, an invoice not yet sent), and a periodic sweep queues it again.
So when Redis is down, the user's change is kept, the page still answers, and the work
goes out once the broker is back: late, but neither lost nor done twice.
"""

import logging

from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> bool:
    """Queue `task`; on a broker failure, log it and return False instead of raising."""
    try:
        task.apply_async(
            args=args, kwargs=kwargs, retry_policy=settings.KAM_PUBLISH_RETRY_POLICY
        )
    except (OperationalError, ConnectionError, OSError) as exc:
        logger.warning("broker unavailable, %s left for the sweep: %s", task.name, exc)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue `task` once the current transaction commits (never for a rollback)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
