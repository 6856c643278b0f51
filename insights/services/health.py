"""Nightly health scores, kept per day so that falls can be spotted."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from core.bulk import id_list
from insights.models import HealthConfig, HealthScore
from insights.selectors.health import health_scores

BATCH = 2000


def health_recompute(*, today=None) -> int:
    """Score every customer account for `today` (a rerun replaces the day's row)."""
    today = today or timezone.localdate()
    config = HealthConfig.get()
    ids = list(
        Account.objects.exclude(lifecycle=Account.Lifecycle.PROSPECT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    written = 0
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        scores = health_scores(id_list(chunk), today=today, config=config)
        with transaction.atomic():
            HealthScore.objects.bulk_create(
                [
                    HealthScore(
                        account_id=pk, computed_on=today, score=score, factors=factors
                    )
                    for pk, (score, factors) in scores.items()
                    if score is not None  # not enough data: unscored
                ],
                update_conflicts=True,
                unique_fields=["account", "computed_on"],
                update_fields=["score", "factors"],
            )
            # a day's row goes when the data behind it went (rerun the same day)
            HealthScore.objects.filter(
                account_id__in=[
                    pk for pk, (score, _f) in scores.items() if score is None
                ],
                computed_on=today,
            ).delete()
        written += sum(1 for score, _f in scores.values() if score is not None)
    return written
