"""The health and voice-of-the-customer panel on the account 360."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.panels import FoldedForm, register, register_form
from insights.forms import FeedbackForm, NpsForm
from insights.models import HealthConfig
from insights.selectors.health import health_scores, score_history
from kam.core.access import can_change


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


# folded under the panel, rendered when opened (`accounts.views.account_form`)
register_form("nps", FoldedForm(
    lambda request, account: NpsForm(account=account, prefix="nps"),
    "insights:nps-create", gettext_lazy("Save"), "nps-form",
))  # fmt: skip
register_form("feedback", FoldedForm(
    lambda request, account: FeedbackForm(account=account, prefix="fb"),
    "insights:feedback-create", gettext_lazy("Save"), "feedback-form",
))  # fmt: skip
