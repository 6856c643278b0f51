from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insights.filters import teams_for_user
from insights.models import FeedbackItem


class ChurnTargetForm(forms.Form):
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


class _AccountForm(forms.Form):
    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = account.contacts.all()
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")
        for name in ("contact", "kind", "score"):
            if name in self.fields:
                self.fields[name].widget.attrs["class"] = "form-select form-select-sm"


class NpsForm(_AccountForm):
    score = forms.TypedChoiceField(
        label=_("Score"), coerce=int, choices=[(i, str(i)) for i in range(11)]
    )
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False)
    answered_on = forms.DateField(
        label=_("Answered on"), initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FeedbackForm(_AccountForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=FeedbackItem.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False)
    raised_on = forms.DateField(
        label=_("Raised on"), initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    text = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
