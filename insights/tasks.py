from celery import shared_task
from django.utils import timezone

from core.reports import registered_reports


@shared_task
def insights_recompute_task() -> dict:
    """The nightly work the reports read: upsell affinities, volume benchmarks and
    rows (the upsell report), health scores (the health report)."""
    today = timezone.localdate()
    result = {}
    for report in registered_reports():
        result.update(report.precompute(today=today))
    return result
