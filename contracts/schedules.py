PERIODIC_TASKS = [
    {
        "name": "contracts-start-due",
        "task": "contracts.tasks.contracts_start_due_task",
        "crontab": {"minute": "5", "hour": "0"},
        "description": "Activate finalized contracts whose term has begun.",
    },
    {
        "name": "contracts-end-due",
        "task": "contracts.tasks.contracts_end_due_task",
        "crontab": {"minute": "8", "hour": "0"},
        "description": "End fixed-term contracts whose term is over.",
    },
    {
        "name": "invoices-mark-overdue",
        "task": "contracts.tasks.invoices_mark_overdue_task",
        "crontab": {"minute": "20", "hour": "0"},
        "description": "Mark unpaid invoices past their due date overdue.",
    },
    {
        "name": "trial-reminders",
        "task": "contracts.tasks.trial_reminders_task",
        "crontab": {"minute": "15", "hour": "6"},
        "description": "Remind KAMs and customers of trials ending soon.",
    },
]
