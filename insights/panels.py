"""The health and voice-of-the-customer panel on the account 360."""

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Account
from accounts.panels import Lazy, register_column, register_lazy
from core.memo import per_request
from insights.models import HealthConfig, HealthScore
from insights.selectors.health import health_scores, score_history


@per_request
def _config() -> HealthConfig:
    """The health settings, read once per request (the section's key and, when it
    is rendered, its scores)."""
    return HealthConfig.get()


def health_panel(request, account, editable) -> dict:
    config = _config()
    score, factors = health_scores([account.pk], today=timezone.localdate(),
                                   config=config)[account.pk]  # fmt: skip
    labels = dict(HealthConfig.FACTORS)
    history = score_history(account.pk)
    return {
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
        "nps": list(account.nps_responses.select_related("contact")[:5]),
        "feedback": list(account.feedback.select_related("contact")[:8]),
    }


def _config_key(request, account) -> tuple:
    """The weights and cadences: a changed setting rescores every account."""
    config = _config()
    return (*config.weights().values(), config.cadence_a_days,
            config.cadence_b_days, config.cadence_c_days)  # fmt: skip


# after the order situation; its feedback forms hold the user's CSRF token
register_lazy(
    Lazy("health", _lazy("Health and voice of the customer"),
         "insights/_account_panel.html", health_panel, key=_config_key,
         per_user=True),
    before="contacts",
)  # fmt: skip


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
