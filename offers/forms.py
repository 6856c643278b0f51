from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import PackageVersion, Product
from core.forms import Form, ModelForm
from offers.models import Offer, OfferTemplate
from offers.placeholders import template_errors

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OfferForm(ModelForm):
    """Header and proposed terms; status and approvals are never form fields."""

    class Meta:
        model = Offer
        fields = [
            "title",
            "contact",
            "language",
            "valid_until",
            "start_on",
            "duration_months",
            "billing_period",
            "auto_renew",
            "notice_days",
        ]
        widgets = {"valid_until": DATE, "start_on": DATE}

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = account.contacts.all()


class NewOfferForm(OfferForm):
    options = forms.CharField(
        label=_("Options"),
        initial="Standard, Premium",
        help_text=_("Names of the alternatives, separated by commas."),
    )

    class Meta(OfferForm.Meta):
        fields = ["title", "contact", "valid_until", "options"]


class LineForm(Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True)
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, initial=1
    )
    discount_percent = forms.DecimalField(
        label=_("Discount %"), max_digits=5, decimal_places=2, initial=0
    )


class PackageForm(Form):
    version = forms.ModelChoiceField(
        label=_("Package"),
        queryset=PackageVersion.objects.select_related("package").filter(
            package__is_active=True
        ),
    )


class LineEditForm(Form):
    quantity = forms.DecimalField(max_digits=12, decimal_places=2)
    unit_price = forms.DecimalField(max_digits=12, decimal_places=2)
    discount_percent = forms.DecimalField(max_digits=5, decimal_places=2)
    price_reason = forms.CharField(max_length=200, required=False)


class SendForm(Form):
    follow_up_days = forms.IntegerField(
        label=_("Remind me to follow up after … days"),
        min_value=1,
        max_value=60,
        initial=3,
    )


class DecisionForm(Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcceptForm(Form):
    option = forms.ChoiceField(label=_("Your option"), widget=forms.RadioSelect)
    name = forms.CharField(label=_("Your name"), max_length=200)
    title = forms.CharField(label=_("Your position"), max_length=200, required=False)
    confirm = forms.BooleanField(
        label=_("I accept this offer on behalf of the company named above.")
    )

    def __init__(self, *args, offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [
            (str(o.pk), o.name) for o in offer.options.all()
        ]


class DeclineForm(Form):
    reason = forms.CharField(
        label=_("Why not?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class PhoneAcceptForm(Form):
    option = forms.ChoiceField(label=_("Accepted option"))
    name = forms.CharField(label=_("Accepted by"), max_length=200)
    title = forms.CharField(label=_("Position"), max_length=200, required=False)

    def __init__(self, *args, offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [
            (str(o.pk), o.name) for o in offer.options.all()
        ]


class TemplateForm(ModelForm):
    class Meta:
        model = OfferTemplate
        fields = ["subject", "body", "closing"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10}),
            "closing": forms.Textarea(attrs={"rows": 4}),
        }

    def clean(self):
        data = super().clean()
        for name in ("subject", "body", "closing"):
            for error in template_errors(data.get(name) or ""):
                self.add_error(name, error)
        return data
