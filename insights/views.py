"""The reports (upsell, portfolio, renewals and churn, pipeline, health, NPS)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
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


def _show(request, report_class: type[Report], finish=None):
    """A report's page, or its export; `finish(page)` adds what the page alone
    needs (the request's CSRF token, the upsell matrix's cells)."""
    report = report_class(user=request.user, params=request.GET)
    response = _export(request, report)
    if response:
        return response
    page = report.page()
    if finish:
        finish(page)
    return render(request, report.template, {"report_tabs": _tabs(), **page})


@login_required
def upsell(request):
    """Whitespace, recommendations, headroom, trials and contracts ending soon."""

    def finish(page):
        # the whitespace's thousands of cells are written here, not by the
        # template (a tag per cell was half of the page's time)
        cell = {
            kind: format_html(
                '<td class="text-center"><span class="ws{}" title="{}"></span></td>',
                f" ws-{kind}" if kind else "",
                label,
            )
            for kind, label in page["labels"].items()
        }
        for m in page["matrix"]:
            m["cells_html"] = mark_safe("".join(cell[c] for c in m["cells"]))  # noqa: S308 (escaped above)
        # one token for the page's many small offer forms
        page["csrf_field"] = format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
            get_token(request),
        )

    return _show(request, UpsellReport, finish)


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
