from django.conf import settings


def PERIODIC_TASKS():
    hour, minute = settings.KAM_RENEWALS_RUN_AT.split(":")
    return [
        {
            "name": "renewals-nightly",
            "task": "renewals.tasks.renewals_run_task",
            "crontab": {"minute": str(int(minute)), "hour": str(int(hour))},
            "description": "Renew standing orders, bill due periods, convert trials, "
            "draft renewal offers and close ended contracts (catches up missed "
            "dates).",
        }
    ]
