PERIODIC_TASKS = [
    {
        "name": "offers-expire",
        "task": "offers.tasks.offers_expire_task",
        "crontab": {"minute": "10", "hour": "0"},
        "description": "Expire sent offers whose validity ended.",
    },
    {
        "name": "offer-validity-reminders",
        "task": "offers.tasks.offer_validity_reminders_task",
        "crontab": {"minute": "0", "hour": "6"},
        "description": "Remind KAMs of unanswered offers ending soon.",
    },
]
