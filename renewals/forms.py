from django import forms
from django.utils.translation import gettext_lazy as _

from renewals.models import Churn


class ChurnReasonForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why did the customer leave?"),
        choices=[("", "—"), *list(Churn.Reason.choices)],
    )
    note = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,
        help_text=_("Who decided, what they said, what would bring them back."),
    )


class PipelineFilter(forms.Form):
    horizon = forms.TypedChoiceField(
        label=_("Ending within"),
        choices=[
            (30, _("30 days")),
            (60, _("60 days")),
            (90, _("90 days")),
            (180, _("180 days")),
        ],
        coerce=int,
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Renewal"),
        choices=[("", _("All")), ("auto", _("Automatic")), ("manual", _("Manual"))],
        required=False,
    )
    risk = forms.BooleanField(label=_("At risk only"), required=False)
