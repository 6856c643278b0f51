"""Forms of account plans and of the voice of the customer."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import Form, ModelForm
from planning.models import AccountPlan, FeedbackItem, PlanAction


class _AccountForm(Form):
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


MONTHS = [f"m{i}" for i in range(1, 13)]


class PlanForm(ModelForm):
    class Meta:
        model = AccountPlan
        fields = AccountPlan.EDITABLE
        widgets = {
            name: forms.Textarea(attrs={"rows": 4}) for name in AccountPlan.SWOT
        } | {"summary": forms.Textarea(attrs={"rows": 3})}
        help_texts = dict.fromkeys(AccountPlan.SWOT, _("One item per line."))

    def __init__(self, *args, months=None, **kwargs):
        super().__init__(*args, **kwargs)
        for i, name in enumerate(MONTHS, start=1):
            self.fields[name] = forms.DecimalField(
                label=date(2000, i, 1).strftime("%m"), max_digits=14, decimal_places=2,
                min_value=0, initial=(months or {}).get(i, 0),
            )  # fmt: skip
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def months(self) -> list:
        return [self.cleaned_data[name] for name in MONTHS]


class NewPlanForm(Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [
            (y, str(y)) for y in range(this_year - 1, this_year + 2)
        ]
        self.fields["year"].initial = this_year
        self.fields["year"].widget.attrs["class"] = "form-select form-select-sm"


class ObjectiveForm(Form):
    title = forms.CharField(label=_("Objective"), max_length=200)
    metric = forms.CharField(label=_("Measured by"), max_length=100)
    target_value = forms.DecimalField(
        label=_("Target"), max_digits=14, decimal_places=2
    )
    actual_value = forms.DecimalField(
        label=_("Actual"), max_digits=14, decimal_places=2, required=False
    )
    due_on = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


class ActualForm(Form):
    """Where an objective stands (empty: not measured yet)."""

    actual_value = forms.DecimalField(
        label=_("Actual"), max_digits=14, decimal_places=2, required=False
    )


class ActionForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PlanAction.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(
        label=_("Due"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        from core.models import User

        # whoever the task goes to must see the account: its KAM, the deputy and
        # the manager of the KAM's team
        team = account.owner.team
        ids = {account.owner_id, account.deputy_id, team.manager_id if team else None}
        self.fields["owner"].queryset = User.objects.filter(
            pk__in=ids - {None}, is_active=True
        ).order_by("first_name", "username")
        self.fields["owner"].initial = account.owner_id
        self.fields["owner"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")
        self.fields["kind"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["owner"].widget.attrs["class"] = "form-select form-select-sm"


class ReviewForm(Form):
    held_on = forms.DateField(
        label=_("Date"), initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    attendees = forms.CharField(label=_("Attendees"), max_length=300, required=False)
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


class AgreeForm(Form):
    agreed_on = forms.DateField(
        label=_("Agreed on"), initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    contact = forms.ModelChoiceField(label=_("With"), queryset=None, required=False)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = account.contacts.all()
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")
        self.fields["contact"].widget.attrs["class"] = "form-select form-select-sm"
