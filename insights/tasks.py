from celery import shared_task

from insights.services.affinity import affinity_recompute
from insights.services.health import health_recompute
from insights.services.upsell import upsell_recompute


@shared_task
def insights_recompute_task() -> dict:
    """Recompute the upsell affinities, volume benchmarks, upsell rows and health
    scores."""
    result = affinity_recompute()
    result["upsell_items"] = upsell_recompute()
    result["health_scores"] = health_recompute()
    return result
