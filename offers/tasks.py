from celery import shared_task

from offers import services


@shared_task(acks_late=True)
def offers_expire_task() -> int:
    """Expire sent offers whose validity ended."""
    return services.offers_expire()


@shared_task(acks_late=True)
def offer_validity_reminders_task() -> int:
    """Remind KAMs of unanswered offers that end soon."""
    return services.offer_validity_reminders()
