"""The nightly insights recompute through a real Celery worker on Redis."""

import pytest
from django.utils import timezone

from accounts.models import Account
from insights.models import FamilyAffinity, HealthScore, UpsellItem
from insights.tasks import insights_recompute_task
from tests.conftest import wait_for
from tests.insights.conftest import build_segment

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def scored_today() -> int:
    return HealthScore.objects.filter(computed_on=timezone.localdate()).count()


def test_insights_recompute_on_a_real_worker(celery_worker, cast):
    build_segment(cast)
    # each has a running contract; a recorded touch makes it enough data for a score
    Account.objects.update(last_touch_at=timezone.now())
    FamilyAffinity.objects.all().delete()
    insights_recompute_task.delay()
    assert wait_for(lambda: scored_today() == 5)
    assert wait_for(FamilyAffinity.objects.exists)
    # the upsell rows of the company-wide report are written in the same run
    assert wait_for(UpsellItem.objects.exists)
    items = UpsellItem.objects.count()
    first = FamilyAffinity.objects.order_by("computed_at").first().computed_at
    # a second run replaces the day's scores and the affinities, adds nothing
    insights_recompute_task.delay()
    assert wait_for(FamilyAffinity.objects.filter(computed_at__gt=first).exists)
    assert HealthScore.objects.count() == 5
    assert UpsellItem.objects.count() == items
