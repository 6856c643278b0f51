"""The reports (upsell, portfolio, renewals and churn, pipeline, health, NPS)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.exports import export_request
from core.forms import messages_from_form, run_service
from core.roles import Role
from core.spreadsheets import export_workbook
from insights.forms import ChurnTargetForm
from insights.reports import (
    REPORTS,
    HealthReport,
    PipelineReport,
    PortfolioReport,
    Report,
    RetentionReport,
    UpsellReport,
)
from insights.services.targets import churn_target_set

EXPORT_FORMATS = {"csv", "xlsx"}


def _export(request, report: Report):
    """The report's workbook when ?format=csv|xlsx asks for it (CSV: ?table=N).

    An XLSX has every table: a worker writes it (core.exports) from the
    report's key and filter. A CSV is one table, written here.
    """
    fmt = request.GET.get("format")
    if fmt not in EXPORT_FORMATS:
        return None
    if fmt == "xlsx":
        export = export_request(
            user=request.user,
            title=str(report.title),
            report=report.key,
            params={k: v for k, v in request.GET.items() if k != "format"},
            path=request.get_full_path(),
            filename=report.filename,
        )
        return redirect(export)
    sheets = report.sheets()
    index = request.GET.get("table", "0")
    index = int(index) if index.isdigit() and int(index) < len(sheets) else 0
    title, headers, rows = sheets[index]
    rows = rows() if callable(rows) else rows
    return export_workbook(
        filename=report.filename, sheets=[(title, headers, rows)], fmt=fmt
    )


def _tabs():
    return [(r.key, r.title, r.view_name()) for r in REPORTS]


@login_required
def index(request):
    return redirect("insights:upsell")


def _show(request, report_class: type[Report]):
    """A report's page, or its export."""
    report = report_class(user=request.user, params=request.GET)
    response = _export(request, report)
    if response:
        return response
    page = report.page()
    return render(request, report.template, {"report_tabs": _tabs(), **page})


@login_required
def upsell(request):
    """Whitespace, recommendations, headroom, trials and contracts ending soon."""

    return _show(request, UpsellReport)


@login_required
def retention(request):
    """Renewal forecast, GRR / NRR, logo churn, churn reasons and the churn target."""
    return _show(request, RetentionReport)


@role_required(Role.SALES_MANAGER, Role.ADMINISTRATOR)
@require_POST
def churn_target(request):
    """Set the churn target of a team (or the company) for a year."""
    form = ChurnTargetForm(request.POST, user=request.user)
    if form.is_valid():
        target = run_service(
            form, churn_target_set, actor=request.user, **form.cleaned_data
        )
        if target:
            messages.success(
                request,
                _("Churn target for %(year)d saved: %(pct)s %% less churned ARR.")
                % {"year": target.year, "pct": target.reduction_percent.normalize()},
            )
            query = f"?team={target.team_id}" if target.team_id else ""
            return redirect(reverse("insights:retention") + query)
    messages_from_form(request, form)
    return redirect("insights:retention")


@login_required
def pipeline(request):
    """Offers by status and age, win rate, average discount, approval turnaround."""
    return _show(request, PipelineReport)


@login_required
def portfolio(request):
    """ABC Pareto, portfolio matrix, concentration, workload, lost customers."""
    return _show(request, PortfolioReport)


@login_required
def health(request):
    """Early warnings, the score distribution, and NPS by month and team."""
    return _show(request, HealthReport)
