from celery import shared_task

from accounts.services import portfolio, todos


@shared_task(acks_late=True)
def portfolio_recompute_task() -> dict:
    """Recompute 12-month revenue, ABC tiers and portfolio scores."""
    return portfolio.portfolio_recompute()


@shared_task(acks_late=True)
def task_reminders_send_task() -> int:
    """Send reminders for tasks that fell due."""
    return todos.task_reminders_send()


@shared_task(acks_late=True)
def task_digest_send_task() -> int:
    """Email today's and overdue tasks to each user, once a day."""
    return todos.task_digest_send()
