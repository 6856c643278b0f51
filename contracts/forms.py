from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form


class SignForm(Form):
    name = forms.CharField(label=_("Your full name"), max_length=200)
    title = forms.CharField(label=_("Your position"), max_length=200, required=False)
    agree = forms.BooleanField(
        label=_(
            "I have read the contract and sign it for the company named in it. "
            "Typing my name counts as my signature."
        )
    )


class SignedScanForm(Form):
    signer_name = forms.CharField(label=_("Signed by"), max_length=200)
    scan = forms.FileField(label=_("Signed scan (PDF or image)"))


class ReasonForm(Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class NoticeForm(Form):
    received_on = forms.DateField(
        label=_("Notice received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the customer's cancellation reached us."),
    )
    reason = forms.CharField(
        label=_("Reason the customer gave"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
