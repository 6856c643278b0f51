PERIODIC_TASKS = [
    {
        "name": "outbox-sweep",
        "task": "core.tasks.outbox_sweep_task",
        "every_seconds": 60,
        "description": "Re-queue outbox emails left undelivered (e.g. broker outage).",
    },
    {
        "name": "exports-sweep",
        "task": "core.tasks.exports_sweep_task",
        "every_seconds": 300,
        "description": "Re-queue report workbooks left waiting; remove day-old ones.",
    },
]
