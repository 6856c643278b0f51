"""Accepting an offer, the step that makes a contract: the customer's page (no
login, the signed token is the key) and a KAM recording an acceptance given by
phone. Both call `contracts.services.acceptance.offer_accept`; the paths stay under
/offers/ (kam/urls.py), where the customer's link has always pointed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.services import acceptance
from core.exceptions import ApplicationError
from core.middleware import client_ip
from offers import selectors
from offers.forms import AcceptForm, DeclineForm, PhoneAcceptForm
from offers.models import Offer
from offers.services import answers as offer_answers
from offers.services import tokens as offer_tokens


@login_required
@require_POST
def offer_phone_accept(request, pk):
    offer = selectors.offer_for_change(user=request.user, pk=pk, whole=False)
    form = PhoneAcceptForm(request.POST, offer=offer)
    if not form.is_valid():
        messages.error(request, _("Choose the option and who accepted it."))
        return redirect(offer)
    option = offer.options.get(pk=form.cleaned_data["option"])
    try:
        acceptance.offer_accept(
            offer=offer,
            option=option,
            name=form.cleaned_data["name"],
            title=form.cleaned_data["title"],
            channel="phone",
            actor=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Acceptance by phone recorded."))
    return redirect(offer)


def accept(request, token):
    offer = offer_tokens.offer_for_token(token)
    if offer is None:
        raise Http404
    gone = offer.status in (Offer.Status.EXPIRED, Offer.Status.SUPERSEDED) or (
        offer.status == Offer.Status.SENT and offer.valid_until < timezone.localdate()
    )
    with translation.override(offer.language):
        if gone:
            return render(
                request, "offers/public/gone.html", {"offer": offer}, status=410
            )
        form = (
            AcceptForm(request.POST or None, offer=offer)
            if "decline" not in request.POST
            else AcceptForm(offer=offer)
        )
        decline = DeclineForm(request.POST if "decline" in request.POST else None)
        if request.method == "POST" and offer.status == Offer.Status.SENT:
            try:
                if "decline" in request.POST and decline.is_valid():
                    offer_answers.offer_decline(
                        offer=offer,
                        reason=decline.cleaned_data["reason"],
                        ip=client_ip(request),
                        user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    )
                    return redirect("acceptance:accept", token=token)
                if "decline" not in request.POST and form.is_valid():
                    option = offer.options.get(pk=form.cleaned_data["option"])
                    acceptance.offer_accept(
                        offer=offer,
                        option=option,
                        name=form.cleaned_data["name"],
                        title=form.cleaned_data["title"],
                        ip=client_ip(request),
                        user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    )
                    return redirect("acceptance:accept", token=token)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
        offer.refresh_from_db()
        options = [
            (o, o.totals()) for o in offer.options.prefetch_related("lines__product")
        ]
        return render(
            request,
            "offers/public/accept.html",
            {
                "offer": offer,
                "options": options,
                "form": form,
                "decline_form": decline,
                "token": token,
            },
        )
