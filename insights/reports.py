"""The reports as objects: one class per report, built from a user and a filter.

`sections()` is what the page shows (tables and charts), `sheets()` the workbook's
tables, `precompute()` the nightly work the report reads. The report's page
(`insights.views`), the export worker (`core.exports`, by the report's key and
stored filter) and the nightly task (`insights.tasks`) all call these; nothing
builds a request to ask a view.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from functools import cached_property

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.portfolio import portfolio_overview
from catalog.models import ProductFamily
from catalog.pricing import ZERO
from core.reports import Sheet, register_report
from core.roles import Role
from core.spreadsheets import MappedRows
from insights.filters import Scope, report_scope
from insights.forms import ChurnTargetForm
from insights.models import HealthConfig, UpsellItem
from insights.selectors import health as health_selectors
from insights.selectors import percent
from insights.selectors import pipeline as pipeline_selectors
from insights.selectors import retention as retention_selectors
from insights.selectors import upsell as upsell_selectors

Kind = UpsellItem.Kind
SECTION_ROWS = 50  # per section on the page; the export has every row
MATRIX_ROWS = 100
BANDS = [(0, 39), (40, 59), (60, 79), (80, 100)]


def _owner(account) -> str:
    owner = account.owner
    return owner.get_full_name() or owner.username


def _month_label(day) -> str:
    return day.strftime("%Y-%m")


def _period(scope: Scope) -> list:
    return [_("Period"), f"{scope.start.isoformat()} – {scope.end.isoformat()}"]


def _churn_in_period(scope: Scope) -> dict:
    """The accounts lost in the scope's period, their reasons and counts."""
    groups = retention_selectors.churn_groups(scope, scope.start, scope.end)
    lost_count, won_back = retention_selectors.churn_counts(groups)
    return {
        "lost": retention_selectors.churns(scope, scope.start, scope.end),
        "reasons": retention_selectors.churn_reasons(groups),
        "lost_count": lost_count,
        "won_back": won_back,
    }


def _lost_sheet(title, lost) -> Sheet:
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


class Report:
    """A report for `user`, filtered by `params` (team, kam, start, end) on `today`."""

    key: str
    title = gettext_lazy("Report")
    template: str
    slug: str  # the workbook's file name, before the date
    show_period = True

    def __init__(
        self,
        *,
        user,
        params: Mapping[str, str] | None = None,
        today: date | None = None,
    ):
        self.user = user
        # one value a name (a query string's last), as an export stores it
        self.params = dict((params or {}).items())
        self.today = today or timezone.localdate()
        self.scope = report_scope(
            user=user, params=self.params, default=self.default_period(),
            today=self.today,
        )  # fmt: skip

    @classmethod
    def view_name(cls) -> str:
        return f"insights:{cls.key}"

    def default_period(self) -> tuple[date, date] | None:
        """The period when the filter names none (None: the last twelve months)."""
        return None

    @property
    def filename(self) -> str:
        return f"{self.slug}-{self.today.isoformat()}"

    def sheets(self) -> list[Sheet]:
        raise NotImplementedError

    def sections(self) -> dict:
        """The page's tables and charts."""
        raise NotImplementedError

    @classmethod
    def precompute(cls, *, today: date) -> dict:
        """The nightly work whose results the report reads (nothing by default)."""
        return {}

    def page(self) -> dict:
        return {
            "scope": self.scope,
            "active": self.key,
            "show_period": self.show_period,
            **self.sections(),
        }


def _potential_chart(data: dict) -> dict:
    """The total's potential per product family (largest first), stacked by the
    sections that make it up."""
    names = {f.pk: f.name for f in data["families"]}
    by_family = data["by_family"]
    family_total: dict = {}
    for (family_id, _kind), value in by_family.items():
        family_total[family_id] = family_total.get(family_id, ZERO) + value
    order = sorted(family_total, key=lambda f: (-family_total[f], names.get(f, "")))
    return {
        "type": "bar",
        "horizontal": True,
        "stacked": True,
        "labels": [names.get(f) or _("Without a family") for f in order],
        "datasets": [
            {
                "label": str(kind.label),
                "data": [by_family.get((f, kind), ZERO) for f in order],
            }
            for kind in upsell_selectors.COUNTED
        ],
        "x_title": _("EUR a year"),
    }


@register_report
class UpsellReport(Report):
    """Whitespace, recommendations, headroom, trials and contracts ending soon."""

    key, slug, template = "upsell", "upsell", "insights/upsell.html"
    title = gettext_lazy("Upsell")
    show_period = False
    SECTIONS = (
        Kind.RECOMMENDATION,
        Kind.HEADROOM,
        Kind.TRIAL,
        Kind.ENDING,
        Kind.WALLET,
    )

    @property
    def labels(self) -> dict:
        return {"owned": _("owned"), "trial": _("in trial"), "": _("not owned")}

    @cached_property
    def _all_rows(self) -> dict:
        return upsell_selectors.upsell_report(
            self.scope, today=self.today, matrix_limit=0,
            kinds=tuple(upsell_selectors.KINDS),
        )  # fmt: skip

    def _rows(self, kind):
        # one table (a CSV) computes only its own section
        if self.params.get("format") == "csv":
            return upsell_selectors.upsell_report(
                self.scope, today=self.today, matrix_limit=0, kinds=(kind,)
            )[kind]
        return self._all_rows[kind]

    def _row_sheet(self, title, kind, *, with_qty=False) -> Sheet:
        headers = [_("Account"), _("KAM"), _("Item"), _("Why"),
                   _("Potential (EUR/year)")]  # fmt: skip
        if with_qty:
            headers.insert(3, _("Quantity"))

        def cells(r):
            row = [r.account.name, _owner(r.account), r.title, r.reason, r.value]
            if with_qty:
                row.insert(3, r.quantity)
            return row

        return (title, headers, lambda: MappedRows(self._rows(kind), cells))

    def _matrix(self):
        labels = self.labels
        data = upsell_selectors.upsell_report(self.scope, today=self.today, limit=0)
        return MappedRows(
            data["matrix"],
            lambda m: [m["account"].name, _owner(m["account"]), m["account"].tier,
                       *[labels[c] for c in m["cells"]]],
        )  # fmt: skip

    def sheets(self) -> list[Sheet]:
        families = ProductFamily.objects.order_by("name").values_list("name", flat=True)
        return [
            self._row_sheet(_("Recommendations"), "recommendations"),
            self._row_sheet(_("Volume headroom"), "headroom", with_qty=True),
            self._row_sheet(_("Share of wallet"), "wallet"),
            self._row_sheet(_("Trials to convert"), "trials", with_qty=True),
            self._row_sheet(_("Contracts ending"), "ending"),
            (
                _("Whitespace"),
                [_("Account"), _("KAM"), _("Tier"), *families],
                self._matrix,
            ),
        ]

    def sections(self) -> dict:
        data = upsell_selectors.upsell_report(
            self.scope, today=self.today, limit=SECTION_ROWS, matrix_limit=MATRIX_ROWS
        )
        valid_until = self.today + timedelta(days=30)
        return {
            **data,
            "today": self.today,
            "labels": self.labels,
            "valid_until": valid_until,
            "valid_until_iso": valid_until.isoformat(),
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
                for kind in self.SECTIONS
            ],
            "matrix_more": max(0, data["matrix_count"] - MATRIX_ROWS),
            # where the potential lies: per product family, by section
            "potential_chart": (chart := _potential_chart(data)),
            "potential_height": 60 + 34 * len(chart["labels"]),
            # customer services see every account but make no offers
            "can_offer": bool(
                self.user.role_names & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_MANAGER}
            ),
        }

    @classmethod
    def precompute(cls, *, today: date) -> dict:
        from insights.services.affinity import affinity_recompute
        from insights.services.upsell import upsell_recompute

        result = affinity_recompute(today=today)
        result["upsell_items"] = upsell_recompute(today=today)
        return result


@register_report
class RetentionReport(Report):
    """Renewal forecast, GRR / NRR, logo churn, churn reasons and the churn target."""

    key, slug, template = "retention", "renewals-churn", "insights/retention.html"
    title = gettext_lazy("Renewals and churn")

    @cached_property
    def data(self) -> dict:
        scope = self.scope
        return {
            "forecast": retention_selectors.renewal_forecast(scope, today=self.today),
            "summary": retention_selectors.retention(scope),
            **_churn_in_period(scope),
        }

    def sheets(self) -> list[Sheet]:
        data, summary = self.data, self.data["summary"]
        return [
            (
                _("Renewal forecast"),
                [_("Month"), _("Contracts"), _("Automatic (EUR)"), _("Manual (EUR)")],
                [
                    [_month_label(r["month"]), r["contracts"], r["auto"], r["manual"]]
                    for r in data["forecast"]
                ],
            ),
            (
                _("Retention"),
                [_("Measure"), _("Value")],
                [
                    _period(self.scope),
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
                [[r["label"], r["count"], r["arr"]] for r in data["reasons"]],
            ),
            _lost_sheet(_("Lost accounts"), data["lost"]),
        ]

    def sections(self) -> dict:
        data = self.data
        forecast, reasons = data["forecast"], data["reasons"]
        trend = retention_selectors.churn_trend(
            self.scope, year=self.scope.end.year, today=self.today
        )
        can_set = bool(self.user.role_names & {Role.SALES_MANAGER, Role.ADMINISTRATOR})
        return {
            **data,
            "lost": data["lost"][:SECTION_ROWS],
            "trend": trend,
            "forecast_chart": {
                "type": "bar",
                "stacked": True,
                "labels": [_month_label(r["month"]) for r in forecast],
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
            "target_form": ChurnTargetForm(user=self.user) if can_set else None,
        }


@register_report
class PipelineReport(Report):
    """Offers by status and age, win rate, average discount, approval turnaround."""

    key, slug, template = "pipeline", "pipeline", "insights/pipeline.html"
    title = gettext_lazy("Offer pipeline")

    @cached_property
    def data(self) -> dict:
        return pipeline_selectors.pipeline_report(self.scope, today=self.today)

    def sheets(self) -> list[Sheet]:
        data, days = self.data, _("days")
        return [
            (
                _("Offers by status"),
                [_("Status"), _("Offers"), _("Value (EUR)")],
                [[r["label"], r["count"], r["value"]] for r in data["statuses"]],
            ),
            (
                _("Open offers by age"),
                [_("Status"), *[f"{label} {days}" for label in data["age_labels"]]],
                [[r["label"], *r["buckets"]] for r in data["ages"]],
            ),
            (
                _("Key figures"),
                [_("Measure"), _("Value")],
                [
                    _period(self.scope),
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

    def sections(self) -> dict:
        data, days = self.data, _("days")
        return {
            **data,
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
        }


@register_report
class PortfolioReport(Report):
    """ABC Pareto, portfolio matrix, concentration, workload, lost customers."""

    key, slug, template = "portfolio", "portfolio", "insights/portfolio.html"
    title = gettext_lazy("Portfolio")

    def default_period(self) -> tuple[date, date]:
        return self.today - relativedelta(years=3), self.today

    @cached_property
    def data(self) -> dict:
        scope = self.scope
        return {
            "years": retention_selectors.lost_customers_by_year(
                scope, last_year=scope.end.year
            ),
            **_churn_in_period(scope),
        }

    def sheets(self) -> list[Sheet]:
        data = self.data
        return [
            (
                _("Accounts"),
                [_("Account"), _("KAM"), _("Tier"), _("Key account"), _("Revenue 12 m"),
                 _("Attractiveness"), _("Position")],
                [
                    [a.name, _owner(a), a.tier, a.is_key_account, a.revenue_12m,
                     a.attractiveness, a.position]
                    for a in self.scope.accounts.order_by("-revenue_12m", "name")
                ],
            ),
            (
                _("Lost customers by year"),
                [_("Year"), _("Customers on 1 January"), _("Lost"), _("Lost ARR (EUR)"),
                 _("Loss rate (%)"), _("Won back"), _("Win-back rate (%)")],
                [
                    [r[k] for k in ("year", "customers", "lost", "lost_arr",
                                    "loss_rate", "won_back", "winback_rate")]
                    for r in data["years"]
                ],
            ),
            _lost_sheet(_("Lost customers"), data["lost"]),
        ]  # fmt: skip

    def sections(self) -> dict:
        data, years = self.data, self.data["years"]
        return {
            **portfolio_overview(self.scope.accounts),
            **data,
            "lost": data["lost"][:SECTION_ROWS],
            "winback_rate": percent(data["won_back"], data["lost_count"]),
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
            "can_recompute": self.user.role_names
            & {Role.SALES_MANAGER, Role.ADMINISTRATOR},
        }


@register_report
class HealthReport(Report):
    """Early warnings, the score distribution, and NPS by month and team."""

    key, slug, template = "health", "health", "insights/health.html"
    title = gettext_lazy("Health and NPS")

    @cached_property
    def data(self) -> dict:
        scope, config = self.scope, HealthConfig.get()
        latest = health_selectors.key_account_scores(scope.accounts)
        in_period = {"start": scope.start, "end": scope.end}
        return {
            "config": config,
            "warnings": health_selectors.early_warnings(
                scope.accounts, today=self.today, config=config
            ),
            "latest": latest,
            "months": health_selectors.nps_by_month(scope.of_accounts(), **in_period),
            "teams": health_selectors.nps_by_team(scope.of_accounts(), **in_period),
        }

    def sheets(self) -> list[Sheet]:
        data = self.data
        return [
            (
                _("Key account health"),
                [_("Account"), _("KAM"), _("Tier"), _("Health score")],
                [[a.name, _owner(a), a.tier, a.score] for a in data["latest"]],
            ),
            (
                _("Early warnings"),
                [_("Account"), _("KAM"), _("Score now"), _("Score before"),
                 _("Change")],
                [
                    [a.name, _owner(a), a.score_now, a.score_then, a.change]
                    for a in data["warnings"]
                ],
            ),
            (
                _("NPS by month"),
                [_("Month"), _("NPS"), _("Answers")],
                [[_month_label(r["month"]), r["nps"], r["answers"]]
                 for r in data["months"]],
            ),
            (
                _("NPS by team"),
                [_("Team"), _("NPS"), _("Answers"), _("Last answer")],
                [[r["team"], r["nps"], r["answers"], r["last"]] for r in data["teams"]],
            ),
        ]  # fmt: skip

    def sections(self) -> dict:
        data = self.data
        bands, latest_count = health_selectors.score_bands(data["latest"], BANDS)
        months = data["months"]
        return {
            "config": data["config"],
            "warnings": data["warnings"],
            "latest": data["latest"][:SECTION_ROWS],
            "latest_count": latest_count,
            "teams": data["teams"],
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
        }

    @classmethod
    def precompute(cls, *, today: date) -> dict:
        from insights.services.health import health_recompute

        return {"health_scores": health_recompute(today=today)}


REPORTS = (UpsellReport, RetentionReport, PipelineReport, PortfolioReport, HealthReport)
