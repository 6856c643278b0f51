from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import selectors
from contracts import selectors as contract_selectors
from contracts.forms import NoticeForm, SignForm
from contracts.models import Contract
from contracts.services import billing, lifecycle, notice
from contracts.services import signing as contract_signing
from core.access import can_change, get_visible_or_404
from core.dates import show_date
from core.exceptions import ApplicationError
from core.forms import run_service
from core.middleware import client_ip


@login_required
def contract_detail(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "lines": list(contract.lines.all()),
            "totals": contract.totals(),
            "checks": contract_selectors.contract_checks(contract),
            "can_change": can_change(request.user, contract),
            "diff": selectors.renewal_diff(contract=contract)
            if contract.renewal_offer_id
            else None,
            "terms": list(contract.terms.all()),
            # where a term is fully billed, the next bill comes with the renewal
            "renews_on": contract.end_on + timedelta(days=1),
        },
    )


@login_required
def contract_notice(request, pk):
    """Record the customer's notice on a standing order (before the cancel-by date)."""
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    form = NoticeForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form,
            notice.contract_notice_receive,
            contract=contract,
            actor=request.user,
            received_on=form.cleaned_data["received_on"],
            reason=form.cleaned_data["reason"],
        )
    ):
        messages.success(
            request,
            _("Notice recorded: %(number)s ends on %(date)s and does not renew.")
            % {"number": contract.number, "date": show_date(contract.end_on)},
        )
        return redirect(contract)
    return render(
        request,
        "contracts/notice.html",
        {"contract": contract, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def offer_from_contract(request, pk):
    """Start a new offer from the contract's package and terms."""
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    if not can_change(request.user, contract):
        raise Http404
    try:
        offer = lifecycle.offer_create_from_contract(
            contract=contract, actor=request.user
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(contract)
    messages.success(
        request,
        _("Offer %(offer)s started from contract %(number)s.")
        % {"offer": offer.label, "number": contract.number},
    )
    return redirect("offers:edit", pk=offer.pk)


def sign(request, token):
    """The customer's signing page: no login, the signed token is the key."""
    contract = contract_signing.contract_for_token(token)
    if contract is None:
        raise Http404
    with translation.override(contract.language):
        if contract.status == Contract.Status.CANCELLED:
            return render(
                request,
                "contracts/public/gone.html",
                {"contract": contract},
                status=410,
            )
        form = SignForm(request.POST or None)
        if (
            request.method == "POST"
            and contract.status == Contract.Status.SENT
            and form.is_valid()
            and run_service(
                form,
                contract_signing.contract_sign,
                contract=contract,
                name=form.cleaned_data["name"],
                title=form.cleaned_data["title"],
                agreed=form.cleaned_data["agree"],
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        ):
            return redirect("contracts:sign", token=token)
        return render(
            request,
            "contracts/public/sign.html",
            {
                "contract": contract,
                "lines": list(contract.lines.all()),
                "totals": contract.totals(),
                "form": form,
                "token": token,
            },
        )


def sign_pdf(request, token):
    """The exact PDF that was sent (its SHA-256 is recorded with the signature)."""
    contract = contract_signing.contract_for_token(token)
    if contract is None or contract.document is None:
        raise Http404
    with contract.document.file.open("rb") as fh:
        response = HttpResponse(fh.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{contract.number}.pdf"'
    return response


@login_required
def invoice_download(request, pk, kind):
    """An invoice's PDF or e-invoice XML, for whoever may see its account."""
    invoice = get_visible_or_404(
        selectors.invoice_list_for_user(user=request.user), request.user, pk=pk
    )
    return invoice_file_response(invoice, kind)


def invoice_file_response(invoice, kind: str) -> HttpResponse:
    """The file as an attachment; one that does not validate is refused (409)
    with the reasons, kept on the invoice for customer services."""
    try:
        found = billing.invoice_file(invoice, kind)
    except ApplicationError as refused:
        return HttpResponse(refused.message, status=409, content_type="text/plain")
    if found is None:
        raise Http404(_("This invoice is sent as a PDF only."))
    name, content, mimetype = found
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
