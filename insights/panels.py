"""The health and voice-of-the-customer panel on the account 360."""

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.panels import register, register_column
from core.access import can_change
from insights.models import HealthConfig, HealthScore
from insights.selectors.health import health_scores, score_history


@register
def health_panel(*, account, user) -> dict:
    config = HealthConfig.get()
    score, factors = health_scores([account.pk], today=timezone.localdate(),
                                   config=config)[account.pk]  # fmt: skip
    labels = dict(HealthConfig.FACTORS)
    history = score_history(account.pk)
    editable = can_change(user, account)
    return {
        "template": "insights/_account_panel.html",
        "score": score,
        "factors": [
            {"key": key, "label": labels[key], **factors[key]}
            for key, _label in HealthConfig.FACTORS
        ],
        "history": {
            "type": "line",
            "labels": [d.isoformat() for d, _s in history],
            "datasets": [
                {"label": _("Health score"), "data": [s for _d, s in history]}
            ],
            "y_max": 100,
        }
        if len(history) > 1
        else None,
        "plan": account.plans.filter(year=timezone.localdate().year).first(),
        "editable": editable,
        "nps": list(account.nps_responses.select_related("contact")[:5]),
        "feedback": list(account.feedback.select_related("contact")[:8]),
    }


@register_column
def latest_health(accounts) -> None:
    """The account table's "Health": the latest nightly score (None: none yet)."""
    latest = HealthScore.objects.filter(account=OuterRef("pk")).order_by("-computed_on")
    scores = dict(
        Account.objects.filter(pk__in=[a.pk for a in accounts])
        .annotate(score=Subquery(latest.values("score")[:1]))
        .values_list("pk", "score")
    )
    for account in accounts:
        account.health = scores.get(account.pk)
