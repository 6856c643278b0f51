PERIODIC_TASKS = [
    {
        "name": "insights-recompute",
        "task": "insights.tasks.insights_recompute_task",
        # after the portfolio (02:30) and the renewal run, so tiers and contracts
        # are fresh
        "crontab": {"minute": "15", "hour": "4"},
        "description": "Upsell affinities, volume benchmarks and health scores.",
    },
]
