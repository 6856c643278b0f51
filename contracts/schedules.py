PERIODIC_TASKS = [
    {
        "name": "invoices-mark-overdue",
        "task": "contracts.tasks.invoices_mark_overdue_task",
        "crontab": {"minute": "20", "hour": "0"},
        "description": "Mark unpaid invoices past their due date overdue.",
    },
    {
        "name": "unsent-requeue",
        "task": "contracts.tasks.unsent_requeue_task",
        "every_seconds": 300,
        "description": "Queue again contracts and invoices left unsent (e.g. broker "
        "outage).",
    },
    {
        "name": "trial-reminders",
        "task": "contracts.tasks.trial_reminders_task",
        "crontab": {"minute": "15", "hour": "6"},
        "description": "Remind KAMs and customers of trials ending soon.",
    },
]
