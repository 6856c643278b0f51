"""Account plan pages: list and start, the plan, its edit form, its parts, its PDF."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import account_get_for_user
from insights.forms import (
    ActionForm,
    AgreeForm,
    NewPlanForm,
    ObjectiveForm,
    PlanForm,
    ReviewForm,
)
from insights.models import PlanObjective
from insights.selectors.plans import plan_get_for_user, plan_performance
from insights.services import plans as services
from kam.core.access import can_change
from kam.core.exceptions import ApplicationError
from kam.core.forms import run_service
from kam.core.pdf import render_pdf


def _messages(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _plan_for_change(request, pk):
    plan = plan_get_for_user(user=request.user, pk=pk)
    if not can_change(request.user, plan.account):
        raise PermissionDenied
    return plan


@login_required
def plan_list(request, account_pk):
    """The account's plans, newest first, and a button to start one."""
    account = account_get_for_user(user=request.user, pk=account_pk)
    form = NewPlanForm(request.POST or None)
    if request.method == "POST":
        if not can_change(request.user, account):
            raise PermissionDenied
        if form.is_valid():
            plan = run_service(
                form,
                services.plan_create,
                actor=request.user,
                account=account,
                year=form.cleaned_data["year"],
            )
            if plan:
                return redirect("insights:plan-edit", pk=plan.pk)
    return render(
        request,
        "insights/plan_list.html",
        {
            "account": account,
            "plans": account.plans.order_by("-year"),
            "form": form,
            "editable": can_change(request.user, account),
        },
    )


def _context(request, plan, **forms):
    today = timezone.localdate()
    editable = can_change(request.user, plan.account)
    return {
        "plan": plan,
        "account": plan.account,
        "performance": plan_performance(plan, today=today),
        "objectives": plan.objectives.all(),
        "actions": plan.actions.select_related("owner", "task"),
        "reviews": plan.reviews.select_related("recorded_by"),
        "editable": editable,
        "objective_form": forms.get("objective_form") or ObjectiveForm(),
        "action_form": forms.get("action_form") or ActionForm(account=plan.account),
        "review_form": forms.get("review_form") or ReviewForm(),
        "agree_form": AgreeForm(account=plan.account),
        "today": today,
    }


@login_required
def plan_detail(request, pk):
    plan = plan_get_for_user(user=request.user, pk=pk)
    context = _context(request, plan)
    performance = context["performance"]
    performance["chart"]["datasets"][0]["label"] = _("Target")
    performance["chart"]["datasets"][1]["label"] = _("Actual (invoiced)")
    return render(request, "insights/plan_detail.html", context)


@login_required
def plan_edit(request, pk):
    plan = _plan_for_change(request, pk)
    months = {m.month: m.target for m in plan.months.all()}
    form = PlanForm(request.POST or None, instance=plan, months=months)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.PLAN_FIELDS}
        saved = run_service(form, services.plan_update, actor=request.user, plan=plan,
                            months=form.months(), **fields)  # fmt: skip
        if saved:
            messages.success(request, _("Account plan saved."))
            return redirect(saved.get_absolute_url())
    return render(request, "insights/plan_edit.html", {"plan": plan, "form": form})


def _post(request, pk, form_class, service, success, **extra):
    plan = _plan_for_change(request, pk)
    kwargs = {"account": plan.account} if form_class in (ActionForm, AgreeForm) else {}
    form = form_class(request.POST, **kwargs)
    if form.is_valid() and run_service(
        form, service, actor=request.user, plan=plan, **form.cleaned_data, **extra
    ):
        messages.success(request, success)
    else:
        _messages(request, form)
    return redirect(plan.get_absolute_url())


@require_POST
@login_required
def objective_add(request, pk):
    return _post(
        request, pk, ObjectiveForm, services.objective_add, _("Objective added.")
    )


@require_POST
@login_required
def action_add(request, pk):
    return _post(request, pk, ActionForm, services.action_add,
                 _("Added; the owner has a task for it."))  # fmt: skip


@require_POST
@login_required
def review_add(request, pk):
    return _post(request, pk, ReviewForm, services.review_add, _("Review recorded."))


@require_POST
@login_required
def plan_agree(request, pk):
    return _post(request, pk, AgreeForm, services.plan_agree,
                 _("The plan is agreed with the customer."))  # fmt: skip


@require_POST
@login_required
def plan_reopen(request, pk):
    plan = _plan_for_change(request, pk)
    services.plan_reopen(actor=request.user, plan=plan)
    messages.info(request, _("The plan is a draft again."))
    return redirect(plan.get_absolute_url())


@require_POST
@login_required
def objective_update(request, pk, objective_pk):
    plan = _plan_for_change(request, pk)
    objective = get_object_or_404(PlanObjective, pk=objective_pk, plan=plan)
    form = ObjectiveForm(
        {**{k: getattr(objective, k) for k in ("title", "metric", "target_value",
                                               "due_on")},
         "actual_value": request.POST.get("actual_value", "")}
    )  # fmt: skip
    if form.is_valid():
        try:
            services.objective_update(
                actor=request.user,
                objective=objective,
                actual_value=form.cleaned_data["actual_value"],
            )
            messages.success(request, _("Objective updated."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        _messages(request, form)
    return redirect(plan.get_absolute_url())


@login_required
def plan_pdf(request, pk):
    """The printable plan."""
    plan = plan_get_for_user(user=request.user, pk=pk)
    context = _context(request, plan)
    context["performance"]["chart"] = None
    pdf = render_pdf("pdf/insights/plan.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"account-plan-{plan.year}-{plan.account_id}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
