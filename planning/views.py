"""Account plan pages (list and start, the plan, its edit form, its parts, its PDF)
and the voice of the customer's answers posted from the account 360."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import account_get_for_user
from accounts.views import post_on_account
from core.access import can_change, get_visible_or_404
from core.exceptions import ApplicationError
from core.forms import messages_from_form, run_service
from core.pdf import render_pdf
from planning.forms import (
    ActionForm,
    ActualForm,
    AgreeForm,
    FeedbackForm,
    NewPlanForm,
    NpsForm,
    ObjectiveForm,
    PlanForm,
    ReviewForm,
)
from planning.models import AccountPlan, FeedbackItem, PlanObjective
from planning.selectors import plan_get_for_user, plan_performance
from planning.services import plans as services
from planning.services import voice


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
                return redirect("planning:plan-edit", pk=plan.pk)
    return render(
        request,
        "planning/plan_list.html",
        {
            "account": account,
            "plans": account.plans.order_by("-year"),
            "form": form,
            "editable": can_change(request.user, account),
        },
    )


def _context(request, plan) -> dict:
    """What the plan page and its PDF show."""
    return {
        "plan": plan,
        "account": plan.account,
        "performance": plan_performance(plan, today=timezone.localdate()),
        "objectives": plan.objectives.all(),
        "actions": plan.actions.select_related("owner", "task"),
        "reviews": plan.reviews.select_related("recorded_by"),
    }


@login_required
def plan_detail(request, pk):
    plan = plan_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "planning/plan_detail.html",
        {
            **_context(request, plan),
            "editable": can_change(request.user, plan.account),
            "objective_form": ObjectiveForm(),
            "action_form": ActionForm(account=plan.account),
            "review_form": ReviewForm(),
            "agree_form": AgreeForm(account=plan.account),
        },
    )


@login_required
def plan_edit(request, pk):
    plan = _plan_for_change(request, pk)
    months = {m.month: m.target for m in plan.months.all()}
    form = PlanForm(request.POST or None, instance=plan, months=months)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in AccountPlan.EDITABLE}
        saved = run_service(
            form,
            services.plan_update,
            actor=request.user,
            plan=plan,
            months=form.months(),
            **fields,
        )
        if saved:
            messages.success(request, _("Account plan saved."))
            return redirect(saved.get_absolute_url())
    return render(request, "planning/plan_edit.html", {"plan": plan, "form": form})


def _post(request, pk, form, service, success):
    """Shared flow of the small forms on the plan page (errors as messages).

    `form` makes the bound form from the plan.
    """
    plan = _plan_for_change(request, pk)
    form = form(plan)
    if form.is_valid() and run_service(
        form, service, actor=request.user, plan=plan, **form.cleaned_data
    ):
        messages.success(request, success)
    else:
        messages_from_form(request, form)
    return redirect(plan.get_absolute_url())


@require_POST
@login_required
def objective_add(request, pk):
    return _post(
        request,
        pk,
        lambda p: ObjectiveForm(request.POST),
        services.objective_add,
        _("Objective added."),
    )


@require_POST
@login_required
def action_add(request, pk):
    return _post(
        request,
        pk,
        lambda p: ActionForm(request.POST, account=p.account),
        services.action_add,
        _("Added; the owner has a task for it."),
    )


@require_POST
@login_required
def review_add(request, pk):
    return _post(
        request,
        pk,
        lambda p: ReviewForm(request.POST),
        services.review_add,
        _("Review recorded."),
    )


@require_POST
@login_required
def plan_agree(request, pk):
    return _post(
        request,
        pk,
        lambda p: AgreeForm(request.POST, account=p.account),
        services.plan_agree,
        _("The plan is agreed with the customer."),
    )


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
    form = ActualForm(request.POST)
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
        messages_from_form(request, form)
    return redirect(plan.get_absolute_url())


@login_required
def plan_pdf(request, pk):
    """The printable plan."""
    plan = plan_get_for_user(user=request.user, pk=pk)
    pdf = render_pdf("pdf/planning/plan.html", _context(request, plan))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"account-plan-{plan.year}-{plan.account_id}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_POST
@login_required
def nps_create(request, pk):
    """Record an NPS answer on the account."""
    return post_on_account(
        request,
        pk,
        form=lambda a: NpsForm(request.POST, account=a, prefix="nps"),
        service=voice.nps_record,
        anchor="#voice",
        success=_("NPS answer recorded."),
        arguments=lambda a, d: {**d, "account": a, "actor": request.user},
    )


@require_POST
@login_required
def feedback_create(request, pk):
    """Record advisory-board feedback, a request or an escalation."""
    return post_on_account(
        request,
        pk,
        form=lambda a: FeedbackForm(request.POST, account=a, prefix="fb"),
        service=voice.feedback_create,
        anchor="#voice",
        success=_("Feedback recorded."),
        arguments=lambda a, d: {**d, "account": a, "actor": request.user},
    )


@require_POST
@login_required
def feedback_status(request, pk):
    """Move a feedback item on (open, planned, done, declined)."""
    item = get_visible_or_404(FeedbackItem.objects.select_related("account"),
                              request.user, pk=pk)  # fmt: skip
    if not can_change(request.user, item.account):
        raise PermissionDenied
    try:
        voice.feedback_status_set(
            actor=request.user, item=item, status=request.POST.get("status", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(item.account.get_absolute_url() + "#voice")
