PERIODIC_TASKS = [
    {
        "name": "task-reminders",
        "task": "accounts.tasks.task_reminders_send_task",
        "every_seconds": 60,
        "description": "Notify assignees of tasks that fell due.",
    },
    {
        "name": "task-digest",
        "task": "accounts.tasks.task_digest_send_task",
        "crontab": {"minute": "0", "hour": "7"},
        "description": "Daily email with today's and overdue tasks.",
    },
    {
        "name": "portfolio-recompute",
        "task": "accounts.tasks.portfolio_recompute_task",
        "crontab": {"minute": "30", "hour": "2"},
        "description": "Nightly ABC tiers and portfolio scores.",
    },
]
