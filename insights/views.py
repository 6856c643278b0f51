"""The reports (upsell, portfolio, renewals and churn, pipeline, health, NPS)."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from insights.filters import report_scope
from insights.selectors import upsell as upsell_selectors
from kam.core.roles import Role
from kam.core.spreadsheets import export_workbook

EXPORT_FORMATS = {"csv", "xlsx"}
SECTION_ROWS = 50  # per section on the page; the export has every row
MATRIX_ROWS = 100


def _can_offer(user) -> bool:
    # customer services see every account but make no offers
    return bool(user.role_names & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_MANAGER})


def _export(request, *, filename: str, sheets: list) -> object | None:
    """The export of a report when ?format=csv|xlsx asks for it (CSV: ?table=N)."""
    fmt = request.GET.get("format")
    if fmt not in EXPORT_FORMATS:
        return None
    if fmt == "csv":
        index = request.GET.get("table", "0")
        index = int(index) if index.isdigit() and int(index) < len(sheets) else 0
        sheets = [sheets[index]]
    return export_workbook(filename=filename, sheets=sheets, fmt=fmt)


def _tabs():
    return [
        ("upsell", _("Upsell"), "insights:upsell"),
    ]


def _render(request, template: str, context: dict):
    return render(request, template, {"report_tabs": _tabs(), **context})


def _owner(account) -> str:
    owner = account.owner
    return owner.get_full_name() or owner.username


def _row_sheet(title, rows, *, with_qty=False):
    headers = [_("Account"), _("KAM"), _("Item"), _("Why"), _("Potential (EUR/year)")]
    if with_qty:
        headers.insert(3, _("Quantity"))
    body = []
    for r in rows:
        cells = [r.account.name, _owner(r.account), r.title, r.reason, r.value]
        if with_qty:
            cells.insert(3, r.quantity)
        body.append(cells)
    return (title, headers, body)


@login_required
def upsell(request):
    """Whitespace, recommendations, headroom, trials and contracts ending soon."""
    scope = report_scope(request)
    today = timezone.localdate()
    data = upsell_selectors.upsell_report(scope, today=today)
    labels = {"owned": _("owned"), "trial": _("in trial"), "": _("not owned")}
    sheets = [
        _row_sheet(_("Recommendations"), data["recommendations"]),
        _row_sheet(_("Volume headroom"), data["headroom"], with_qty=True),
        _row_sheet(_("Share of wallet"), data["wallet"]),
        _row_sheet(_("Trials to convert"), data["trials"], with_qty=True),
        _row_sheet(_("Contracts ending"), data["ending"]),
        (
            _("Whitespace"),
            [_("Account"), _("KAM"), _("Tier"), *[f.name for f in data["families"]]],
            [
                [
                    m["account"].name,
                    _owner(m["account"]),
                    m["account"].tier,
                    *[labels[c] for c in m["cells"]],
                ]
                for m in data["matrix"]
            ],
        ),
    ]
    response = _export(request, filename=f"upsell-{today.isoformat()}", sheets=sheets)
    if response:
        return response
    return _render(
        request,
        "insights/upsell.html",
        {
            **data,
            "scope": scope,
            "active": "upsell",
            "today": today,
            "valid_until": today + timedelta(days=30),
            "section_list": [
                {
                    "key": key,
                    "label": label,
                    "table": table,
                    "rows": data[key][:SECTION_ROWS],
                    "total": data["totals"][key],
                }
                for key, label, table in (
                    ("recommendations", _("Accounts like this also buy"), 0),
                    ("headroom", _("Volume headroom"), 1),
                    ("trials", _("Trials to convert"), 3),
                    ("ending", _("Contracts ending soon with upsell room"), 4),
                    ("wallet", _("Unused share of wallet"), 2),
                )
            ],
            "matrix_page": data["matrix"][:MATRIX_ROWS],
            "matrix_more": max(0, len(data["matrix"]) - MATRIX_ROWS),
            "can_offer": _can_offer(request.user),
        },
    )
