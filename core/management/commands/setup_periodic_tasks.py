import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from core.discovery import app_submodules


class Command(BaseCommand):
    help = "Create or update the Celery beat schedules of every app (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = updated = 0
        names = []
        for module in app_submodules("schedules"):
            specs = module.PERIODIC_TASKS
            for spec in specs() if callable(specs) else specs:
                names.append(spec["name"])
                defaults = {
                    "task": spec["task"],
                    "description": spec.get("description", ""),
                    "kwargs": json.dumps(spec.get("kwargs", {})),
                    "interval": None,
                    "crontab": None,
                }
                if "every_seconds" in spec:
                    defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                        every=spec["every_seconds"], period=IntervalSchedule.SECONDS
                    )
                else:
                    defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                        timezone=settings.TIME_ZONE, **spec["crontab"]
                    )
                _, was_created = PeriodicTask.objects.update_or_create(
                    name=spec["name"], defaults=defaults
                )
                created += was_created
                updated += not was_created
        # schedules an app no longer declares (e.g. folded into another job)
        removed, _ = (
            PeriodicTask.objects.exclude(name__in=names)
            .exclude(task__startswith="celery.")
            .delete()
        )
        self.stdout.write(
            f"Periodic tasks: {created} created, {updated} up to date, "
            f"{removed} removed."
        )
