from celery import shared_task

from core import services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def message_send_task(self, message_id: int) -> None:
    """Deliver one outbox message, retrying transient failures with backoff."""
    try:
        services.message_send(message_id=message_id)
    except services.TransientDeliveryError as exc:
        # The bound on attempts lives in the database row (OUTBOX_MAX_ATTEMPTS).
        raise self.retry(exc=exc, countdown=exc.countdown) from exc


@shared_task(acks_late=True)
def outbox_sweep_task() -> int:
    """Re-queue outbox messages left READY (e.g. while the broker was down)."""
    return len(services.outbox_sweep())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_build_task(export_id: int) -> None:
    """Write one report workbook (see core.exports)."""
    from core.exports import export_build

    export_build(export_id=export_id)


@shared_task
def exports_sweep_task() -> dict:
    """Re-queue stuck exports; remove old ones."""
    from core.exports import exports_sweep

    return exports_sweep()
