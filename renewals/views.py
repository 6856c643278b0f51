from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can_change
from core.decorators import role_required
from core.exceptions import ApplicationError
from core.forms import run_service
from core.roles import Role
from renewals import selectors
from renewals.forms import ChurnReasonForm, PipelineFilter
from renewals.models import RenewalRun
from renewals.services import churn as churn_services

RUN_VIEWERS = (Role.SALES_MANAGER, Role.ADMINISTRATOR, Role.CUSTOMER_SERVICES)


@login_required
def pipeline(request):
    """Contracts up for renewal in the next 30/60/90/180 days, with risk flags."""
    form = PipelineFilter(request.GET or None)
    horizon, kind, risk = 180, "", False
    if form.is_valid():
        horizon = form.cleaned_data["horizon"] or 180
        kind = form.cleaned_data["kind"]
        risk = form.cleaned_data["risk"]
    data = selectors.pipeline_for_user(
        user=request.user, horizon=horizon, kind=kind, risk_only=risk
    )
    return render(
        request,
        "renewals/pipeline.html",
        {
            **data,
            "form": form,
            "horizon": horizon,
            "kind": kind,
            "risk": risk,
            "chart": selectors.pipeline_chart(data["summary"]),
            "flags": selectors.FLAGS,
            "last_run": selectors.run_list().first(),
        },
    )


@login_required
def recovery(request):
    """Lost accounts: lost revenue, the reason, days since, and a win-back button."""
    show_all = request.GET.get("all") == "1"
    churns = list(
        selectors.churn_list_for_user(user=request.user, include_won_back=show_all)
    )
    today = timezone.localdate()
    # every row is visible to the user; who may see may also act, but Customer
    # Services (read-only here), so one check serves all rows
    editable = bool(churns) and can_change(request.user, churns[0])
    rows = [
        {"churn": c, "days": max(0, (today - c.lost_on).days), "can_change": editable}
        for c in churns
    ]
    return render(
        request,
        "renewals/recovery.html",
        {
            "rows": rows,
            "summary": selectors.recovery_summary(churns),
            "show_all": show_all,
        },
    )


@login_required
def churn_reason(request, pk):
    """Record why an account was lost."""
    churn = selectors.churn_get_for_user(user=request.user, pk=pk)
    if not can_change(request.user, churn):
        raise Http404
    form = ChurnReasonForm(
        request.POST or None,
        initial={"reason": churn.reason, "note": churn.note},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form,
            churn_services.churn_reason_record,
            churn=churn,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    ):
        messages.success(
            request,
            _("Churn reason recorded for %(account)s.")
            % {"account": churn.account.name},
        )
        return redirect("renewals:recovery")
    return render(
        request,
        "renewals/churn_reason.html",
        {"churn": churn, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def winback(request, pk):
    """Start a win-back offer from the lost account's last package."""
    churn = selectors.churn_get_for_user(user=request.user, pk=pk)
    if not can_change(request.user, churn):
        raise Http404
    try:
        offer = churn_services.winback_start(churn=churn, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("renewals:recovery")
    messages.success(
        request,
        _("Win-back offer %(offer)s started for %(account)s.")
        % {"offer": offer.label, "account": churn.account.name},
    )
    return redirect("offers:edit", pk=offer.pk)


@role_required(*RUN_VIEWERS)
def run_list(request):
    """Every run of the nightly job with its counts per step and failures."""
    page = Paginator(selectors.run_list(), 50).get_page(request.GET.get("page"))
    return render(request, "renewals/runs.html", {"page": page})


@role_required(*RUN_VIEWERS)
def run_detail(request, pk):
    run = get_object_or_404(RenewalRun, pk=pk)
    failures = list(run.failures.select_related("contract", "contract__account"))
    return render(request, "renewals/run.html", {"run": run, "failures": failures})
