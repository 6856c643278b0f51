from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import account_get_for_user
from catalog.models import Product
from catalog.selectors import exchange_rates
from core.access import can_change, get_visible_or_404
from core.decorators import role_required
from core.exceptions import ApplicationError
from core.forms import run_service
from core.paging import keyset_page
from core.roles import Role
from core.widgets import options_html
from offers import placeholders, selectors
from offers.forms import (
    DecisionForm,
    LineEditForm,
    LineForm,
    NewOfferForm,
    OfferForm,
    PackageForm,
    PhoneAcceptForm,
    SendForm,
    TemplateForm,
)
from offers.models import (
    ApprovalRule,
    InboundMail,
    Offer,
    OfferLine,
    OfferOption,
    OfferTemplate,
)
from offers.services import answers as offer_answers
from offers.services import approval as offer_approval
from offers.services import building as offer_building
from offers.services import documents as offer_documents
from offers.services import sending as offer_sending
from offers.services import templates as offer_templates
from offers.services import tokens as offer_tokens
from offers.services import tracking as offer_tracking

AGES = {"7": 7, "30": 30, "90": 90}


@login_required
def offer_list(request):
    qs = selectors.offer_list_for_user(user=request.user)
    scope = request.GET.get("scope", "mine")
    if scope == "mine":
        qs = qs.filter(account__owner=request.user) | qs.filter(
            account__deputy=request.user
        )
    status = request.GET.get("status", "")
    if status in Offer.Status.values:
        qs = qs.filter(status=status)
    if request.GET.get("age") in AGES:
        qs = qs.filter(
            created_at__gte=timezone.now() - timedelta(days=AGES[request.GET["age"]])
        )
    if request.GET.get("account", "").isdigit():
        qs = qs.filter(account_id=int(request.GET["account"]))
    page = keyset_page(qs, "-updated_at", request.GET, 30)
    return render(
        request,
        "offers/list.html",
        {
            "page": page,
            "scope": scope,
            "status": status,
            "statuses": Offer.Status.choices,
            "age": request.GET.get("age", ""),
        },
    )


@login_required
def offer_create(request, account_pk):
    account = account_get_for_user(user=request.user, pk=account_pk)
    if not can_change(request.user, account):
        raise PermissionDenied
    initial = {
        "valid_until": timezone.localdate() + timedelta(days=30),
        "title": request.GET.get("title", ""),
    }
    form = NewOfferForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        names = [n.strip() for n in data["options"].split(",") if n.strip()] or [
            "Standard"
        ]
        offer = run_service(
            form,
            offer_building.offer_create,
            account=account,
            contact=data["contact"],
            actor=request.user,
            title=data["title"],
            valid_until=data["valid_until"],
            option_names=names,
        )
        if offer:
            product_id = request.GET.get("product")
            if product_id and product_id.isdigit():
                product = Product.objects.filter(pk=product_id, is_active=True).first()
                if product:
                    offer_building.line_add(
                        option=offer.options.first(),
                        actor=request.user,
                        product=product,
                        quantity=_quantity(request.GET.get("quantity")),
                    )
            return redirect("offers:edit", pk=offer.pk)
    return render(request, "offers/new.html", {"account": account, "form": form})


def _quantity(text) -> Decimal:
    """The quantity a report link asks for (1 when missing or not a positive number)."""
    try:
        value = Decimal(text or "1")
    except (InvalidOperation, ValueError):
        return Decimal(1)
    if not value.is_finite() or value <= 0 or value >= 10**9:
        return Decimal(1)
    return value.quantize(Decimal("0.01"))


def _offer_for_change(request, pk, *, bare=False) -> Offer:
    """The offer the user may change (403 otherwise); `bare`: without its options,
    lines and events, for a view that reads them again after the change."""
    return selectors.offer_for_change(user=request.user, pk=pk, whole=not bare)


@login_required
def offer_detail(request, pk):
    offer = selectors.offer_get_for_user(user=request.user, pk=pk)
    options = [(o, o.totals()) for o in offer.options.all()]
    user = request.user
    can_decide = (
        offer.status == Offer.Status.PENDING_APPROVAL
        and user.pk not in offer_approval.approval_excluded(offer)
        and (
            user.has_role(Role.ADMINISTRATOR)
            or (
                offer.account.owner.team
                and offer.account.owner.team.manager_id == user.pk
            )
        )
    )
    return render(
        request,
        "offers/detail.html",
        {
            "offer": offer,
            # the contract shows on an accepted offer only (no query for the others)
            "offer_contract": getattr(offer, "contract", None)
            if offer.status == Offer.Status.ACCEPTED
            else None,
            "events": offer.events.all(),
            "options": options,
            "can_change": can_change(user, offer),
            "can_decide": can_decide,
            "reasons": offer_approval.approval_reasons(offer)
            if offer.is_editable
            else offer.approval_reasons,
            "send_form": SendForm(),
            "decision_form": DecisionForm(),
            "phone_form": PhoneAcceptForm(offer=offer),
            "accept_url": request.build_absolute_uri(
                offer_tokens.acceptance_path(offer)
            )
            if offer.status == Offer.Status.SENT
            else "",
        },
    )


@login_required
def offer_edit(request, pk):
    offer = _offer_for_change(request, pk)
    if not offer.is_editable:
        messages.info(
            request, _("A sent offer cannot be changed; make a new revision.")
        )
        return redirect(offer)
    form = OfferForm(request.POST or None, instance=offer, account=offer.account)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if run_service(
            form, offer_building.offer_update, offer=offer, actor=request.user, **data
        ):
            messages.success(request, _("Offer saved."))
            return redirect("offers:edit", pk=offer.pk)
    return render(request, "offers/edit.html", _editor_context(offer, form=form))


def _editor_context(offer, **extra):
    offer = (
        Offer.objects.prefetch_related("options__lines__product")
        .select_related("account")
        .get(pk=offer.pk)
    )
    return {
        "offer": offer,
        "options": [(o, o.totals()) for o in offer.options.all()],
        # each option has the pickers: their <option>s are built once, in Python
        "product_options": options_html(
            LineForm.base_fields["product"].queryset.values_list("pk", "name")
        ),
        "package_options": options_html(
            (v.pk, str(v))
            for v in PackageForm.base_fields["version"].queryset.only(
                "number", "package__name"
            )
        ),
        "reasons": offer_approval.approval_reasons(offer),
        **extra,
    }


def _options_fragment(request, offer, error=None, pending=None):
    """The editor's options; `pending` keeps a line's refused new price on screen
    (with the reason field it lacked) instead of the saved one."""
    context = _editor_context(offer)
    if error:
        context["error"] = error
    context["pending"] = pending or {}
    return render(request, "offers/_options.html", context)


@login_required
@require_POST
def option_add(request, pk):
    offer = _offer_for_change(request, pk)
    try:
        offer_building.option_add(
            offer=offer, actor=request.user, name=request.POST.get("name", "")
        )
    except ApplicationError as exc:
        return _options_fragment(request, offer, exc.message)
    return _options_fragment(request, offer)


@login_required
@require_POST
def option_delete(request, pk, option_pk):
    offer = _offer_for_change(request, pk)
    option = get_object_or_404(OfferOption, pk=option_pk, offer=offer)
    try:
        offer_building.option_delete(option=option, actor=request.user)
    except ApplicationError as exc:
        return _options_fragment(request, offer, exc.message)
    return _options_fragment(request, offer)


@login_required
@require_POST
def line_add(request, pk, option_pk):
    offer = _offer_for_change(request, pk)
    option = get_object_or_404(OfferOption, pk=option_pk, offer=offer)
    if "version" in request.POST:
        form = PackageForm(request.POST)
        if form.is_valid():
            try:
                offer_building.package_add(
                    option=option,
                    actor=request.user,
                    version=form.cleaned_data["version"],
                )
            except ApplicationError as exc:
                return _options_fragment(request, offer, exc.message)
            return _options_fragment(request, offer)
    else:
        form = LineForm(request.POST)
        if form.is_valid():
            try:
                offer_building.line_add(
                    option=option, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                return _options_fragment(request, offer, exc.message)
            return _options_fragment(request, offer)
    errors = "; ".join(e for errs in form.errors.values() for e in errs)
    return _options_fragment(request, offer, errors)


@login_required
@require_POST
def line_update(request, pk, line_pk):
    # the editor is read again for the answer: the offer alone, the line with its way
    # up to the offer (the service checks the offer's state on it)
    offer = _offer_for_change(request, pk, bare=True)
    line = get_object_or_404(
        OfferLine.objects.select_related("option__offer"),
        pk=line_pk,
        option__offer=offer,
    )
    if request.POST.get("delete"):
        try:
            offer_building.line_delete(line=line, actor=request.user)
        except ApplicationError as exc:
            return _options_fragment(request, offer, exc.message)
        return _options_fragment(request, offer)
    form = LineEditForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return _options_fragment(request, offer, errors)
    try:
        offer_building.line_update(line=line, actor=request.user, **form.cleaned_data)
    except ApplicationError as exc:
        pending = None
        if exc.extra.get("field") == "price_reason":
            pending = {"line": line.pk, "unit_price": form.cleaned_data["unit_price"]}
        return _options_fragment(request, offer, exc.message, pending)
    return _options_fragment(request, offer)


def _act(request, offer, service, success, **kwargs):
    try:
        service(offer=offer, actor=request.user, **kwargs)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("offers:detail", pk=offer.pk)


@login_required
@require_POST
def offer_request_approval(request, pk):
    offer = _offer_for_change(request, pk)
    return _act(
        request, offer, offer_approval.offer_request_approval, _("Approval requested.")
    )


@login_required
@require_POST
def offer_send(request, pk):
    offer = _offer_for_change(request, pk)
    form = SendForm(request.POST)
    days = [form.cleaned_data["follow_up_days"]] if form.is_valid() else [3]
    return _act(
        request, offer, offer_sending.offer_send, _("Offer sent."), follow_up_days=days
    )


@login_required
@require_POST
def offer_revise(request, pk):
    offer = _offer_for_change(request, pk)
    try:
        new = offer_answers.offer_revise(offer=offer, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(offer)
    messages.success(
        request,
        _("Revision %(n)d started; the sent one is kept.") % {"n": new.revision},
    )
    return redirect("offers:edit", pk=new.pk)


@role_required(Role.SALES_MANAGER, Role.ADMINISTRATOR)
@require_POST
def offer_decide(request, pk):
    offer = selectors.offer_get_for_user(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    approve = request.POST.get("decision") == "approve"
    return _act(
        request,
        offer,
        offer_approval.offer_decide,
        _("Approved.") if approve else _("Rejected."),
        approve=approve,
        comment=comment,
    )


@login_required
def offer_pdf(request, pk):
    offer = selectors.offer_get_for_user(user=request.user, pk=pk)
    pdf = offer_documents.offer_pdf(offer)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{offer.number}-{offer.revision}.pdf"'
    )
    return response


@role_required(Role.SALES_MANAGER, Role.ADMINISTRATOR)
def approval_queue(request):
    offers = list(
        selectors.approval_queue_for_user(user=request.user).prefetch_related(
            "options__lines"
        )
    )
    rules = list(ApprovalRule.objects.filter(is_active=True))
    rates = exchange_rates()
    admins = offer_approval.administrators()
    # what this user decides: never what they asked for or changed; administrators
    # see what went up to them
    rows = [
        (o, offer_approval.approval_reasons(o, rules=rules, rates=rates), escalated)
        for o in offers
        for route, escalated in [offer_approval.approval_route(o, admins=admins)]
        if request.user in route
    ]
    return render(request, "offers/approvals.html", {"rows": rows})


@login_required
def inbox(request):
    """Inbound mail: what answers none of our e-mails waits here for review."""
    mails = selectors.inbound_mail_for_user(user=request.user)
    status = request.GET.get("status", "")
    if status not in InboundMail.Status.values:
        status = InboundMail.Status.TO_REVIEW
    counts = dict(
        mails.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    page = Paginator(mails.filter(status=status), 20).get_page(request.GET.get("page"))
    tabs = [
        (value, label, counts.get(value, 0))
        for value, label in InboundMail.Status.choices
    ]
    return render(
        request,
        "offers/inbox.html",
        {
            "page": page,
            "status": status,
            "tabs": tabs,
            "can_decide": request.user.role_names != {Role.CUSTOMER_SERVICES},
        },
    )


@login_required
@require_POST
def inbox_decide(request, pk):
    mail = get_visible_or_404(
        InboundMail.objects.select_related("account"), request.user, pk=pk
    )
    if not can_change(request.user, mail):
        raise PermissionDenied
    decision = request.POST.get("decision", "")
    if decision not in ("keep", "dismiss"):
        messages.error(request, _("Choose whether to keep the mail or dismiss it."))
    else:
        try:
            offer_tracking.inbound_mail_decide(
                mail=mail, actor=request.user, keep=decision == "keep"
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The mail is on the timeline of %(account)s.")
                % {"account": mail.account.name}
                if decision == "keep"
                else _("The mail was dismissed."),
            )
    return redirect(reverse("offers:inbox") + f"?status={InboundMail.Status.TO_REVIEW}")


# --- customer pages (no login) ---------------------------------------------


def accept_pdf(request, token):
    """The exact PDF that was sent (its SHA-256 is recorded with the answer)."""
    offer = offer_tokens.offer_for_token(token)
    if offer is None or offer.document is None:
        raise Http404
    with offer.document.file.open("rb") as fh:
        response = HttpResponse(fh.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{offer.document.filename}"'
    return response


# --- templates (administrators) -------------------------------------------


@role_required(Role.ADMINISTRATOR)
def template_list(request):
    return render(
        request, "offers/templates.html", {"templates": OfferTemplate.objects.all()}
    )


@role_required(Role.ADMINISTRATOR)
def template_edit(request, pk):
    template = get_object_or_404(OfferTemplate, pk=pk)
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        offer_templates.offer_template_save(template=template, **form.cleaned_data)
        messages.success(request, _("Template saved."))
        return redirect("offers:templates")
    return render(
        request,
        "offers/template_form.html",
        {
            "form": form,
            "template": template,
            "placeholders": sorted(placeholders.ALLOWED),
        },
    )


@role_required(Role.ADMINISTRATOR)
@require_POST
def template_preview(request, pk):
    template = get_object_or_404(OfferTemplate, pk=pk)
    form = TemplateForm(request.POST, instance=template)
    errors = (
        [] if form.is_valid() else [e for errs in form.errors.values() for e in errs]
    )
    values = placeholders.ALLOWED
    return render(
        request,
        "offers/_template_preview.html",
        {
            "errors": errors,
            "subject": placeholders.render_text(
                request.POST.get("subject", ""), values
            ),
            "body": placeholders.render_html(request.POST.get("body", ""), values),
            "closing": placeholders.render_html(
                request.POST.get("closing", ""), values
            ),
        },
    )
