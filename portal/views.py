"""The customer portal's pages: a contact signs in by a one-time link and sees
their account (and, where the KAM allows, its subsidiaries). Everything a contact
opens is looked up within those accounts: anything else is a 404."""

import functools

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Contact, Document
from contracts.models import Contract, Invoice, Subscription
from contracts.services import signing
from contracts.views import invoice_file_response
from core.downloads import stored_file_response
from core.exceptions import ApplicationError
from core.middleware import client_ip
from offers.models import Offer
from offers.services import tokens as offer_tokens
from portal import services

SESSION_KEY = "portal_contact"


class EmailForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"))


class ChangeForm(forms.Form):
    account = forms.TypedChoiceField(label=gettext_lazy("For"), coerce=int)
    kind = forms.ChoiceField(
        label=gettext_lazy("What would you like to change?"),
        choices=[(k, gettext_lazy(v)) for k, v in services.CHANGES.items()],
    )
    text = forms.CharField(
        label=gettext_lazy("Details"), widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )  # fmt: skip

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.pk, a.name) for a in accounts]
        if len(accounts) == 1:  # nothing to choose
            self.fields["account"].widget = forms.HiddenInput()
            self.fields["account"].initial = accounts[0].pk


class NpsForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How likely are you to recommend us to a colleague?"),
        choices=[(n, str(n)) for n in range(11)], coerce=int,
        widget=forms.RadioSelect,
    )  # fmt: skip
    comment = forms.CharField(
        label=gettext_lazy("What is the main reason for your score?"),
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


def portal_page(view):
    """The signed-in contact (still on the portal) as `request.contact`, the page
    in their account's language; else to the sign-in page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        contact = (
            Contact.objects.select_related("account__owner")
            .filter(
                pk=request.session.get(SESSION_KEY),
                portal_enabled=True,
                do_not_contact=False,
            )
            .first()
        )
        if contact is None:
            request.session.pop(SESSION_KEY, None)
            return redirect("portal:sign-in")
        request.contact = contact
        request.portal_accounts = services.accounts_of(contact)
        with translation.override(contact.account.language):
            return view(request, *args, **kwargs)

    return wrapper


def _in_scope(request, queryset, **lookup):
    """The object among the signed-in contact's accounts, or a 404."""
    return get_object_or_404(
        queryset.filter(account__in=[a.pk for a in request.portal_accounts]),
        **lookup,
    )


def sign_in(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.link_request(email=form.cleaned_data["email"], ip=client_ip(request))
        # the same answer whether or not the address is known
        return render(request, "portal/link_sent.html", {
            "email": form.cleaned_data["email"],
            "minutes": settings.KAM_PORTAL_LINK_MINUTES,
        })  # fmt: skip
    return render(request, "portal/sign_in.html", {"form": form})


def enter(request, token):
    """The link from the e-mail: a button signs in (a mail scanner that opens the
    link does not use it up)."""
    if request.method == "POST":
        contact = services.link_use(token=token, ip=client_ip(request))
        if contact is None:
            gone = {"minutes": settings.KAM_PORTAL_LINK_MINUTES}
            return render(request, "portal/link_gone.html", gone, status=410)
        request.session.cycle_key()
        request.session[SESSION_KEY] = contact.pk
        return redirect("portal:home")
    return render(request, "portal/enter.html", {"token": token})


@require_POST
def sign_out(request):
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    return redirect("portal:sign-in")


@portal_page
def home(request):
    ids = [a.pk for a in request.portal_accounts]
    today = timezone.localdate()
    offers = list(
        Offer.objects.filter(
            account__in=ids, status=Offer.Status.SENT, valid_until__gte=today
        )
        .select_related("account")
        .order_by("valid_until")
    )
    contracts = list(
        Contract.objects.filter(account__in=ids)
        .exclude(status__in=[Contract.Status.DRAFT, Contract.Status.CANCELLED])
        .select_related("account")
        .order_by("-start_on")
    )
    return render(request, "portal/home.html", {
        "contact": request.contact,
        "accounts": request.portal_accounts,
        "kam": request.contact.account.owner,
        "offers": [(o, offer_tokens.acceptance_path(o)) for o in offers],
        "to_sign": [(c, signing.signing_url(c)) for c in contracts
                    if c.status == Contract.Status.SENT],
        "contracts": [c for c in contracts if c.status != Contract.Status.SENT],
        "subscriptions": list(
            Subscription.objects.filter(account__in=ids)
            .exclude(status=Subscription.Status.CANCELLED)
            .select_related("product", "contract").order_by("contract_id", "pk")
        ),
        "invoices": list(Invoice.objects.filter(account__in=ids)
                         .order_by("-issued_on", "-pk")[:50]),
        "documents": list(Document.objects.filter(account__in=ids,
                                                  shared_in_portal=True)
                          .order_by("-created_at")),
        "today": today,
        "change_form": ChangeForm(accounts=request.portal_accounts),
        "nps_form": NpsForm(),
    })  # fmt: skip


@portal_page
def invoice_file(request, pk, kind):
    invoice = _in_scope(request, Invoice.objects.all(), pk=pk)
    return invoice_file_response(invoice, kind)


@portal_page
def contract_pdf(request, pk):
    contract = _in_scope(request, Contract.objects.select_related("document"), pk=pk)
    document = contract.document
    if document is None:
        raise Http404
    return stored_file_response(
        document.file, filename=document.filename, content_type=document.mimetype
    )


@portal_page
def document_download(request, pk):
    document = _in_scope(request, Document.objects.filter(shared_in_portal=True), pk=pk)
    return stored_file_response(
        document.file, filename=document.filename, content_type=document.mimetype
    )


@require_POST
@portal_page
def notice(request, pk):
    contract = _in_scope(request, Contract.objects.all(), pk=pk)
    try:
        services.notice_give(contact=request.contact, contract=contract)
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        done = _("Your notice is recorded: %(number)s will not renew.")
        messages.success(request, done % {"number": contract.number})
    return redirect("portal:home")


@require_POST
@portal_page
def change(request):
    form = ChangeForm(request.POST, accounts=request.portal_accounts)
    if form.is_valid():
        account = next(a for a in request.portal_accounts
                       if a.pk == form.cleaned_data["account"])  # fmt: skip
        try:
            services.change_request(
                contact=request.contact, account=account,
                kind=form.cleaned_data["kind"], text=form.cleaned_data["text"],
            )  # fmt: skip
        except ApplicationError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Thank you: %(name)s will get back to you.")
                             % {"name": account.owner})  # fmt: skip
    else:
        messages.error(request, " ".join(
            f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields
            else " ".join(errors) for name, errors in form.errors.items()
        ))  # fmt: skip
    return redirect("portal:home")


@require_POST
@portal_page
def nps(request):
    form = NpsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a score from 0 to 10."))
        return redirect("portal:home")
    services.nps_answer(contact=request.contact, score=form.cleaned_data["score"],
                        comment=form.cleaned_data["comment"])  # fmt: skip
    messages.success(request, _("Thank you for your answer."))
    return redirect("portal:home")
