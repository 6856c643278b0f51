PERIODIC_TASKS = [
    {
        "name": "outbox-sweep",
        "task": "kam.core.tasks.outbox_sweep_task",
        "every_seconds": 60,
        "description": "Re-queue outbox emails left undelivered (e.g. broker outage).",
    },
]
