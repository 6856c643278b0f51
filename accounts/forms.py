from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, Task, Touchpoint
from accounts.services.accounts import EDITABLE_FIELDS
from accounts.validators import normalize_vat, vat_error
from core.forms import Form, ModelForm
from core.models import User
from core.roles import Role
from core.widgets import LongSelect

DATETIME_WIDGET = forms.DateTimeInput(
    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
)


class AccountForm(ModelForm):
    key_account_criteria = forms.MultipleChoiceField(
        label=_("Selection criteria met"),
        choices=Account.Criterion.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Account
        fields = EDITABLE_FIELDS
        widgets = {"country": forms.TextInput(attrs={"maxlength": 2, "size": 3})}

    def __init__(self, *args, user, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents.exclude(pk=self.instance.pk)
        self.fields["deputy"].queryset = User.objects.filter(
            is_active=True, groups__name=Role.KEY_ACCOUNT_MANAGER
        ).exclude(pk=self.instance.owner_id)
        # the billing contact is one of the account's (a new account has none yet)
        self.fields["billing_contact"].queryset = (
            self.instance.contacts.all() if self.instance.pk else Contact.objects.none()
        )

    def clean_country(self):
        country = self.cleaned_data["country"].upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise forms.ValidationError(_("Use the two-letter ISO code, e.g. DE."))
        return country

    def clean(self):
        data = super().clean()
        vat = normalize_vat(data.get("vat_id", ""))
        data["vat_id"] = vat
        if error := vat_error(vat, data.get("country", "")):
            self.add_error("vat_id", error)
        return data


class ContactForm(ModelForm):
    class Meta:
        model = Contact
        fields = [*Contact.EDITABLE, *Contact.PORTAL]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reports_to"].queryset = account.contacts.exclude(
            pk=self.instance.pk
        )


class TouchpointForm(ModelForm):
    class Meta:
        model = Touchpoint
        fields = ["channel", "occurred_at", "subject", "contacts", "notes", "outcome"]
        widgets = {
            "occurred_at": DATETIME_WIDGET,
            "contacts": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = account.contacts.all()
        self.fields["occurred_at"].initial = timezone.localtime().strftime(
            "%Y-%m-%dT%H:%M"
        )


class DocumentForm(Form):
    file = forms.FileField(label=_("File"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class EmailForm(Form):
    contact = forms.ModelChoiceField(label=_("To"), queryset=Contact.objects.none())
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = account.contacts.filter(
            do_not_contact=False
        ).exclude(email="")


class TaskForm(ModelForm):
    class Meta:
        model = Task
        fields = ["title", "due_at", "assignee", "notes"]
        widgets = {
            "due_at": DATETIME_WIDGET,
            "assignee": LongSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name"
        )
        if not self.instance.pk:
            self.fields["assignee"].initial = user.pk
            self.fields["due_at"].initial = timezone.localtime().strftime(
                "%Y-%m-%dT%H:%M"
            )


class HandoffForm(Form):
    name = forms.CharField(label=_("Customer name"), max_length=200)
    country = forms.CharField(label=_("Country"), max_length=2)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    needs = forms.CharField(label=_("Needs"), widget=forms.Textarea(attrs={"rows": 4}))
    products = forms.ModelMultipleChoiceField(
        label=_("Products bought"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    expected_annual_revenue = forms.DecimalField(
        label=_("Expected annual revenue (EUR)"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    complexity = forms.ChoiceField(
        label=_("Complexity"), choices=Account.Complexity.choices
    )
    proposed_path = forms.ChoiceField(
        label=_("Proposed service path"), choices=Account.ServicePath.choices
    )
    team = forms.ModelChoiceField(
        label=_("Key account team"),
        queryset=None,
        required=False,
        help_text=_("For key accounts: the team whose manager assigns a KAM."),
    )
    # the customer's main contact, who becomes the account's first contact
    contact_first_name = forms.CharField(
        label=_("Contact's first name"), max_length=100, required=False
    )
    contact_last_name = forms.CharField(
        label=_("Contact's last name"), max_length=100, required=False
    )
    contact_job_title = forms.CharField(
        label=_("Contact's job title"), max_length=150, required=False
    )
    contact_email = forms.EmailField(label=_("Contact's email"), required=False)
    contact_phone = forms.CharField(
        label=_("Contact's phone"), max_length=40, required=False
    )
    allow_duplicate = forms.BooleanField(
        label=_("Create a second account with this name"),
        required=False,
        help_text=_("Only when it really is another customer of the same name."),
    )

    CONTACT_FIELDS = ("first_name", "last_name", "job_title", "email", "phone")

    def __init__(self, *args, **kwargs):
        from catalog.models import Product
        from core.models import Team

        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(is_active=True)
        self.fields["team"].queryset = Team.objects.filter(is_outbound=False)

    def clean(self):
        data = super().clean()
        given = {f: data.get(f"contact_{f}", "") for f in self.CONTACT_FIELDS}
        if any(given.values()) and not given["last_name"]:
            self.add_error(
                "contact_last_name", _("Give the contact's last name, or no contact.")
            )
        return data

    def service_data(self) -> dict:
        """The cleaned data as `handoff_submit` takes it (the contact as a dict)."""
        data = dict(self.cleaned_data)
        contact = {f: data.pop(f"contact_{f}", "") for f in self.CONTACT_FIELDS}
        data["contact"] = contact if contact["last_name"] else None
        data["products"] = list(data["products"])
        return data

    def clean_country(self):
        country = self.cleaned_data["country"].upper()
        if len(country) != 2 or not country.isalpha():
            raise forms.ValidationError(_("Use the two-letter ISO code, e.g. DE."))
        return country


class AssignKamForm(Form):
    kam = forms.ModelChoiceField(
        label=_("Key account manager"), queryset=User.objects.none()
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kam"].queryset = team.members.filter(
            is_active=True, groups__name=Role.KEY_ACCOUNT_MANAGER
        )


class ImportForm(Form):
    KINDS = [
        ("accounts", _("Accounts")),
        ("contacts", _("Contacts")),
        ("orders", _("Order history")),
    ]
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KINDS)
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Only check, import nothing"), required=False)
