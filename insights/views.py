"""The reports (upsell, portfolio, renewals and churn, pipeline, health, NPS)."""

from datetime import timedelta
from functools import cache

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.portfolio import portfolio_overview
from accounts.views import post_on_account
from catalog.models import ProductFamily
from insights.filters import report_scope
from insights.forms import ChurnTargetForm, FeedbackForm, NpsForm
from insights.models import FeedbackItem, HealthConfig, UpsellItem
from insights.selectors import health as health_selectors
from insights.selectors import percent
from insights.selectors import pipeline as pipeline_selectors
from insights.selectors import retention as retention_selectors
from insights.selectors import upsell as upsell_selectors
from insights.services import voice
from insights.services.targets import churn_target_set
from kam.core.access import can_change, get_visible_or_404
from kam.core.decorators import role_required
from kam.core.exceptions import ApplicationError
from kam.core.exports import export_request
from kam.core.forms import messages_from_form, run_service
from kam.core.roles import Role
from kam.core.spreadsheets import MappedRows, export_workbook

EXPORT_FORMATS = {"csv", "xlsx"}
Kind = UpsellItem.Kind
SECTION_ROWS = 50  # per section on the page; the export has every row
MATRIX_ROWS = 100


def _can_offer(user) -> bool:
    # customer services see every account but make no offers
    return bool(user.role_names & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_MANAGER})


def _export(request, *, filename: str, sheets) -> object | None:
    """The export of a report when ?format=csv|xlsx asks for it (CSV: ?table=N).

    `sheets` is a function: the tables are only built for an export. A table's
    rows may be a function too, called only when that table is written.
    """
    fmt = request.GET.get("format")
    if fmt not in EXPORT_FORMATS:
        return None
    if fmt == "xlsx":
        # every table at once: a worker writes it (kam.core.exports), asking this
        # view again, which then hands it the sheets
        write = getattr(request, "export_sheets", None)
        if write is None:
            title = next(
                (str(label) for _k, label, name in _tabs()
                 if name == request.resolver_match.view_name),
                filename,
            )  # fmt: skip
            export = export_request(
                user=request.user,
                title=title,
                path=request.get_full_path(),
                filename=filename,
            )
            return redirect(export)
        write(sheets())
        return HttpResponse(status=204)
    sheets = sheets()
    if fmt == "csv":
        index = request.GET.get("table", "0")
        index = int(index) if index.isdigit() and int(index) < len(sheets) else 0
        sheets = [sheets[index]]
    sheets = [
        (title, headers, rows() if callable(rows) else rows)
        for title, headers, rows in sheets
    ]
    return export_workbook(filename=filename, sheets=sheets, fmt=fmt)


def _tabs():
    return [
        ("upsell", _("Upsell"), "insights:upsell"),
        ("retention", _("Renewals and churn"), "insights:retention"),
        ("pipeline", _("Offer pipeline"), "insights:pipeline"),
        ("portfolio", _("Portfolio"), "insights:portfolio"),
        ("health", _("Health and NPS"), "insights:health"),
    ]


@login_required
def index(request):
    return redirect("insights:upsell")


def _render(request, template: str, context: dict):
    return render(request, template, {"report_tabs": _tabs(), **context})


def _owner(account) -> str:
    owner = account.owner
    return owner.get_full_name() or owner.username


def _row_sheet(title, rows, *, with_qty=False):
    """A table of report rows; `rows` is a function, called only when written."""
    headers = [_("Account"), _("KAM"), _("Item"), _("Why"), _("Potential (EUR/year)")]
    if with_qty:
        headers.insert(3, _("Quantity"))

    def cells(r):
        row = [r.account.name, _owner(r.account), r.title, r.reason, r.value]
        if with_qty:
            row.insert(3, r.quantity)
        return row

    return (title, headers, lambda: MappedRows(rows(), cells))


@login_required
def upsell(request):
    """Whitespace, recommendations, headroom, trials and contracts ending soon."""
    scope = report_scope(request)
    today = timezone.localdate()
    labels = {"owned": _("owned"), "trial": _("in trial"), "": _("not owned")}

    # an export computes only what its tables need: one section's rows (CSV),
    # every section's, and the whitespace of every account (XLSX)
    @cache
    def report(kinds=tuple(upsell_selectors.KINDS)):
        return upsell_selectors.upsell_report(
            scope, today=today, matrix_limit=0, kinds=kinds
        )

    def rows(kind):
        if request.GET.get("format") == "csv":
            return report((kind,))[kind]
        return report()[kind]

    def matrix():
        data = upsell_selectors.upsell_report(scope, today=today, limit=0)
        return MappedRows(
            data["matrix"],
            lambda m: [m["account"].name, _owner(m["account"]), m["account"].tier,
                       *[labels[c] for c in m["cells"]]],
        )  # fmt: skip

    def sheets():
        families = ProductFamily.objects.order_by("name").values_list("name", flat=True)
        return [
            _row_sheet(_("Recommendations"), lambda: rows("recommendations")),
            _row_sheet(_("Volume headroom"), lambda: rows("headroom"), with_qty=True),
            _row_sheet(_("Share of wallet"), lambda: rows("wallet")),
            _row_sheet(_("Trials to convert"), lambda: rows("trials"), with_qty=True),
            _row_sheet(_("Contracts ending"), lambda: rows("ending")),
            (
                _("Whitespace"),
                [_("Account"), _("KAM"), _("Tier"), *families],
                matrix,
            ),
        ]

    response = _export(request, filename=f"upsell-{today.isoformat()}", sheets=sheets)
    if response:
        return response
    data = upsell_selectors.upsell_report(
        scope, today=today, limit=SECTION_ROWS, matrix_limit=MATRIX_ROWS
    )
    # the whitespace's thousands of cells are written here, not by the template
    # (a tag per cell was half of the page's time)
    cell = {
        kind: format_html(
            '<td class="text-center"><span class="ws{}" title="{}"></span></td>',
            f" ws-{kind}" if kind else "",
            label,
        )
        for kind, label in labels.items()
    }
    for m in data["matrix"]:
        m["cells_html"] = mark_safe("".join(cell[c] for c in m["cells"]))  # noqa: S308 (escaped above)
    valid_until = today + timedelta(days=30)
    return _render(
        request,
        "insights/upsell.html",
        {
            **data,
            "scope": scope,
            "active": "upsell",
            "today": today,
            "valid_until": valid_until,
            "valid_until_iso": valid_until.isoformat(),
            # one token for the page's many small offer forms
            "csrf_field": format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                get_token(request),
            ),
            "stale": data["as_of"]
            and timezone.now() - data["as_of"] > timedelta(hours=36),
            # the sections in the page's order; `table` is the export's CSV index
            "section_list": [
                {
                    "key": kind.value,
                    "label": kind.label,
                    "table": upsell_selectors.KINDS.index(kind),
                    "rows": data[kind],
                    "count": data["counts"][kind],
                    "total": data["totals"][kind],
                }
                for kind in (
                    Kind.RECOMMENDATION,
                    Kind.HEADROOM,
                    Kind.TRIAL,
                    Kind.ENDING,
                    Kind.WALLET,
                )
            ],
            "matrix_more": max(0, data["matrix_count"] - MATRIX_ROWS),
            "can_offer": _can_offer(request.user),
        },
    )


def _lost_sheet(title, lost):
    return (
        title,
        [_("Account"), _("KAM"), _("Lost on"), _("Lost ARR"), _("Currency"),
         _("Reason"), _("Won back on")],
        [
            [c.account.name, _owner(c.account), c.lost_on, c.lost_arr, c.currency,
             c.get_reason_display(), c.won_back_on]
            for c in lost
        ],
    )  # fmt: skip


def _month_label(day) -> str:
    return day.strftime("%Y-%m")


@login_required
def retention(request):
    """Renewal forecast, GRR / NRR, logo churn, churn reasons and the churn target."""
    scope = report_scope(request)
    today = timezone.localdate()
    forecast = retention_selectors.renewal_forecast(scope, today=today)
    summary = retention_selectors.retention(scope)
    lost = retention_selectors.churns(scope, scope.start, scope.end)
    groups = retention_selectors.churn_groups(scope, scope.start, scope.end)
    reasons = retention_selectors.churn_reasons(groups)
    lost_count, _won_back = retention_selectors.churn_counts(groups)
    trend = retention_selectors.churn_trend(scope, year=scope.end.year, today=today)

    def sheets():
        return [
            (
                _("Renewal forecast"),
                [_("Month"), _("Contracts"), _("Automatic (EUR)"), _("Manual (EUR)")],
                [
                    [_month_label(r["month"]), r["contracts"], r["auto"], r["manual"]]
                    for r in forecast
                ],
            ),
            (
                _("Retention"),
                [_("Measure"), _("Value")],
                [
                    [
                        _("Period"),
                        f"{scope.start.isoformat()} – {scope.end.isoformat()}",
                    ],
                    [_("ARR at the start (EUR)"), summary["start_arr"]],
                    [_("ARR at the end (EUR)"), summary["end_arr"]],
                    [_("Gross revenue retention (%)"), summary["grr"]],
                    [_("Net revenue retention (%)"), summary["nrr"]],
                    [_("Customers at the start"), summary["customers"]],
                    [_("Customers lost"), summary["logos_lost"]],
                    [_("Logo churn (%)"), summary["logo_churn"]],
                ],
            ),
            (
                _("Churn reasons"),
                [_("Reason"), _("Accounts"), _("Lost ARR (EUR)")],
                [[r["label"], r["count"], r["arr"]] for r in reasons],
            ),
            _lost_sheet(_("Lost accounts"), lost),
        ]

    response = _export(
        request, filename=f"renewals-churn-{today.isoformat()}", sheets=sheets
    )
    if response:
        return response
    months = [_month_label(r["month"]) for r in forecast]
    can_set = bool(request.user.role_names & {Role.SALES_MANAGER, Role.ADMINISTRATOR})
    return _render(
        request,
        "insights/retention.html",
        {
            "scope": scope,
            "active": "retention",
            "show_period": True,
            "forecast": forecast,
            "summary": summary,
            "reasons": reasons,
            "lost": lost[:SECTION_ROWS],
            "lost_count": lost_count,
            "trend": trend,
            "forecast_chart": {
                "type": "bar",
                "stacked": True,
                "labels": months,
                "datasets": [
                    {"label": _("Automatic"), "data": [r["auto"] for r in forecast]},
                    {"label": _("Manual"), "data": [r["manual"] for r in forecast]},
                ],
                "y_title": "EUR",
            },
            "trend_chart": {
                "type": "line",
                "labels": [f"{trend['year']}-{m:02d}" for m in range(1, 13)],
                "datasets": [
                    {"label": str(trend["year"]), "data": trend["this_year"]},
                    {"label": str(trend["year"] - 1), "data": trend["last_year"]},
                ]
                + (
                    [{"label": _("Target"), "data": trend["target_line"]}]
                    if trend["target_line"]
                    else []
                ),
                "y_title": _("Churned ARR, cumulated (EUR)"),
                "no_fill": True,
            },
            "reasons_chart": {
                "type": "bar",
                "horizontal": True,
                "labels": [str(r["label"]) for r in reasons],
                "datasets": [
                    {"label": _("Lost ARR (EUR)"), "data": [r["arr"] for r in reasons]}
                ],
            },
            "reasons_height": 60 + 34 * len(reasons),
            "target_form": ChurnTargetForm(user=request.user) if can_set else None,
        },
    )


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
    scope = report_scope(request)
    today = timezone.localdate()
    data = pipeline_selectors.pipeline_report(scope, today=today)
    days = _("days")

    def sheets():
        return [
            (
                _("Offers by status"),
                [_("Status"), _("Offers"), _("Value (EUR)")],
                [[r["label"], r["count"], r["value"]] for r in data["statuses"]],
            ),
            (
                _("Open offers by age"),
                [
                    _("Status"),
                    *[f"{label} {days}" for label in data["age_labels"]],
                ],
                [[r["label"], *r["buckets"]] for r in data["ages"]],
            ),
            (
                _("Key figures"),
                [_("Measure"), _("Value")],
                [
                    [
                        _("Period"),
                        f"{scope.start.isoformat()} – {scope.end.isoformat()}",
                    ],
                    [_("Won"), data["won"]],
                    [_("Lost (declined or expired)"), data["lost"]],
                    [_("Win rate (%)"), data["win_rate"]],
                    [_("Offers sent"), data["sent_count"]],
                    [_("Average discount (%)"), data["avg_discount"]],
                    [_("Approvals decided"), data["approvals"]],
                    [
                        _("Approval turnaround, median (hours)"),
                        data["turnaround_median_h"],
                    ],
                    [_("Approval turnaround, mean (hours)"), data["turnaround_mean_h"]],
                ],
            ),
        ]

    response = _export(request, filename=f"pipeline-{today.isoformat()}", sheets=sheets)
    if response:
        return response
    return _render(
        request,
        "insights/pipeline.html",
        {
            **data,
            "scope": scope,
            "active": "pipeline",
            "show_period": True,
            "status_chart": {
                "type": "bar",
                "labels": [str(r["label"]) for r in data["statuses"]],
                "datasets": [
                    {
                        "label": _("Offers"),
                        "data": [r["count"] for r in data["statuses"]],
                    }
                ],
            },
            "age_chart": {
                "type": "bar",
                "stacked": True,
                "horizontal": True,
                "labels": [str(r["label"]) for r in data["ages"]],
                "datasets": [
                    {
                        "label": f"{label} {days}",
                        "data": [r["buckets"][i] for r in data["ages"]],
                    }
                    for i, label in enumerate(data["age_labels"])
                ],
            },
        },
    )


@login_required
def portfolio(request):
    """ABC Pareto, portfolio matrix, concentration, workload, lost customers."""
    today = timezone.localdate()
    scope = report_scope(request, default=(today - relativedelta(years=3), today))
    overview = portfolio_overview(scope.accounts)
    years = retention_selectors.lost_customers_by_year(scope, last_year=scope.end.year)
    lost = retention_selectors.churns(scope, scope.start, scope.end)
    groups = retention_selectors.churn_groups(scope, scope.start, scope.end)
    reasons = retention_selectors.churn_reasons(groups)
    lost_count, won_back = retention_selectors.churn_counts(groups)

    def sheets():
        return [
            (
                _("Accounts"),
                [_("Account"), _("KAM"), _("Tier"), _("Key account"), _("Revenue 12 m"),
                 _("Attractiveness"), _("Position")],
                [
                    [a.name, _owner(a), a.tier, a.is_key_account, a.revenue_12m,
                     a.attractiveness, a.position]
                    for a in scope.accounts.order_by("-revenue_12m", "name")
                ],
            ),
            (
                _("Lost customers by year"),
                [_("Year"), _("Customers on 1 January"), _("Lost"), _("Lost ARR (EUR)"),
                 _("Loss rate (%)"), _("Won back"), _("Win-back rate (%)")],
                [
                    [r[k] for k in ("year", "customers", "lost", "lost_arr",
                                    "loss_rate", "won_back", "winback_rate")]
                    for r in years
                ],
            ),
            _lost_sheet(_("Lost customers"), lost),
        ]  # fmt: skip

    response = _export(
        request, filename=f"portfolio-{today.isoformat()}", sheets=sheets
    )
    if response:
        return response
    return _render(
        request,
        "insights/portfolio.html",
        {
            **overview,
            "scope": scope,
            "active": "portfolio",
            "show_period": True,
            "years": years,
            "lost": lost[:SECTION_ROWS],
            "lost_count": lost_count,
            "reasons": reasons,
            "won_back": won_back,
            "winback_rate": percent(won_back, lost_count),
            "lost_chart": {
                "type": "bar",
                "labels": [str(r["year"]) for r in years],
                "datasets": [
                    {
                        "label": _("Lost ARR (EUR)"),
                        "data": [r["lost_arr"] for r in years],
                    },
                    {
                        "label": _("Loss rate (%)"),
                        "data": [r["loss_rate"] or 0 for r in years],
                        "type": "line",
                        "yAxisID": "y2",
                    },
                ],
                "y2_title": _("Loss rate (%)"),
            },
            "can_recompute": request.user.role_names
            & {Role.SALES_MANAGER, Role.ADMINISTRATOR},
        },
    )


BANDS = [(0, 39), (40, 59), (60, 79), (80, 100)]


@login_required
def health(request):
    """Early warnings, the score distribution, and NPS by month and team."""
    today = timezone.localdate()
    scope = report_scope(request)
    config = HealthConfig.get()
    warnings = health_selectors.early_warnings(
        scope.accounts, today=today, config=config
    )
    latest = health_selectors.key_account_scores(scope.accounts)
    bands, latest_count = health_selectors.score_bands(latest, BANDS)
    months = health_selectors.nps_by_month(
        scope.of_accounts(), start=scope.start, end=scope.end
    )
    teams = health_selectors.nps_by_team(
        scope.of_accounts(), start=scope.start, end=scope.end
    )

    def sheets():
        return [
            (
                _("Key account health"),
                [_("Account"), _("KAM"), _("Tier"), _("Health score")],
                [[a.name, _owner(a), a.tier, a.score] for a in latest],
            ),
            (
                _("Early warnings"),
                [
                    _("Account"),
                    _("KAM"),
                    _("Score now"),
                    _("Score before"),
                    _("Change"),
                ],
                [
                    [
                        a.name,
                        _owner(a),
                        a.score_now,
                        a.score_then,
                        a.change,
                    ]
                    for a in warnings
                ],
            ),
            (
                _("NPS by month"),
                [_("Month"), _("NPS"), _("Answers")],
                [[_month_label(r["month"]), r["nps"], r["answers"]] for r in months],
            ),
            (
                _("NPS by team"),
                [_("Team"), _("NPS"), _("Answers"), _("Last answer")],
                [[r["team"], r["nps"], r["answers"], r["last"]] for r in teams],
            ),
        ]

    response = _export(request, filename=f"health-{today.isoformat()}", sheets=sheets)
    if response:
        return response
    return _render(
        request,
        "insights/health.html",
        {
            "scope": scope,
            "active": "health",
            "show_period": True,
            "config": config,
            "warnings": warnings,
            "latest": latest[:SECTION_ROWS],
            "latest_count": latest_count,
            "teams": teams,
            "band_chart": {
                "type": "bar",
                "labels": [f"{low}–{high}" for low, high in BANDS],
                "datasets": [{"label": _("Key accounts"), "data": bands}],
                "x_title": _("Health score"),
            },
            "nps_chart": {
                "type": "line",
                "labels": [_month_label(r["month"]) for r in months],
                "datasets": [{"label": "NPS", "data": [r["nps"] for r in months]}],
                "no_fill": True,
            },
        },
    )


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
