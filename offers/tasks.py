from celery import shared_task

from offers.services import answers as offer_answers


@shared_task(acks_late=True)
def offers_expire_task() -> int:
    """Expire sent offers whose validity ended."""
    return offer_answers.offers_expire()


@shared_task(acks_late=True)
def offer_validity_reminders_task() -> int:
    """Remind KAMs of unanswered offers that end soon."""
    return offer_answers.offer_validity_reminders()
