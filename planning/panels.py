"""The voice of the customer's folded forms under the account 360's health panel."""

from django.utils.translation import gettext_lazy

from accounts.panels import FoldedForm, register_form
from planning.forms import FeedbackForm, NpsForm

# folded under the panel, rendered when opened (`accounts.views.account_form`)
register_form("nps", FoldedForm(
    lambda request, account: NpsForm(account=account, prefix="nps"),
    "planning:nps-create", gettext_lazy("Save"), "nps-form",
))  # fmt: skip
register_form("feedback", FoldedForm(
    lambda request, account: FeedbackForm(account=account, prefix="fb"),
    "planning:feedback-create", gettext_lazy("Save"), "feedback-form",
))  # fmt: skip
