from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import Form
from insights.filters import teams_for_user


class ChurnTargetForm(Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=None,
        required=False,
        empty_label=_("Whole company"),
    )
    reduction_percent = forms.DecimalField(
        label=_("Reduce churned ARR by (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=25,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [
            (y, str(y)) for y in range(this_year - 1, this_year + 2)
        ]
        self.fields["year"].initial = this_year
        self.fields["team"].queryset = teams_for_user(user)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")
        self.fields["year"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["team"].widget.attrs["class"] = "form-select form-select-sm"
