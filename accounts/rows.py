"""The account table's rows, written in Python.

The home page and the account list show 50–60 rows of nine cells. Through the
template engine they took 38–50 ms of a 70–120 ms page (each cell resolves its
variables, runs its filters and looks up the active language again); written here
they take a few milliseconds. The markup is what `_account_rows.html` rendered;
`tests/accounts/test_rows.py` holds them to it.
"""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import naturalday
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from accounts.models import Account
from accounts.panels import fill_columns
from core.dates import show_date


def account_rows_html(accounts: Iterable[Account]) -> SafeString:
    """One `<tr>` per account (with `open_tasks` and `overdue_tasks` annotated), or
    one row saying there are none. Every value is escaped."""
    t_key = escape(gettext("Key account"))
    t_deputy = escape(gettext("Deputy"))
    t_never = escape(gettext("never"))
    star = (
        f'<i class="bi bi-star-fill text-warning ms-1" title="{t_key}" '
        f'aria-label="{t_key}"></i>'
    )
    never = f'<span class="text-body-secondary">{t_never}</span>'
    days: dict = {}  # naturalday per local date: many rows share one
    accounts = list(accounts)
    fill_columns(accounts)  # next contract end, health: from the apps above
    t_no_score = escape(gettext("no score yet"))
    out = []
    for a in accounts:
        place = escape(a.industry or "")
        if a.industry and a.country:
            place += " · "
        place += escape(a.country)
        tier = escape(a.tier)
        tier = f'<span class="tier tier-{tier}">{tier}</span>' if a.tier else "—"
        revenue = floatformat(a.revenue_12m, "0g")
        touch = _touch(a.last_touch_at, days) if a.last_touch_at else never
        deputy = (
            f'<div class="small text-body-secondary">{t_deputy}: '
            f"{escape(a.deputy)}</div>"
            if a.deputy
            else ""
        )
        out.append(
            f'<tr>\n  <td>\n    <a href="{a.get_absolute_url()}" class="fw-semibold">'
            f"{escape(a.name)}</a>\n    {star if a.is_key_account else ''}\n"
            f'    <div class="small text-body-secondary">{place}</div>\n  </td>\n'
            f"  <td>{tier}</td>\n"
            f'  <td class="text-end text-nowrap">{revenue}</td>\n'
            f'  <td class="text-end text-nowrap">{_trend(a.revenue_trend)}</td>\n'
            f'  <td class="text-center">{_tasks(a.open_tasks, a.overdue_tasks)}</td>\n'
            f'  <td class="text-nowrap">{touch}</td>\n'
            f'  <td class="text-nowrap">{_end(a)}</td>\n'
            f"  <td>{_health(a, t_no_score)}</td>\n"
            f"  <td>{escape(a.owner)}{deputy}</td>\n</tr>\n"
        )
    if not out:
        empty = gettext("No accounts to show.")  # outside the f-string: extracted
        out.append(
            '<tr><td colspan="9" class="text-body-secondary">'
            f"{escape(empty)}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 (every value is escaped above)


def _trend(trend) -> str:
    if trend is None:
        return "—"
    value = escape(formats.localize(trend))
    if trend >= 0:
        return (
            '<span class="trend-up"><i class="bi bi-arrow-up-right" '
            f'aria-hidden="true"></i> {value} %</span>'
        )
    return (
        '<span class="trend-down"><i class="bi bi-arrow-down-right" '
        f'aria-hidden="true"></i> {value} %</span>'
    )


def _tasks(open_tasks: int, overdue: int) -> str:
    if not open_tasks:
        return '<span class="text-body-secondary">0</span>'
    title = escape(ngettext("%(n)s overdue", "%(n)s overdue", overdue) % {"n": overdue})
    badge = "text-bg-danger" if overdue else "text-bg-secondary"
    return f'<span class="badge {badge}" title="{title}">{open_tasks}</span>'


def _end(account) -> str:
    day = getattr(account, "next_contract_end", None)
    if day is None:
        return '<span class="text-body-secondary">—</span>'
    return escape(show_date(day))


def _health(account, no_score: str) -> str:
    score = getattr(account, "health", None)
    if score is None:
        return f'<span class="text-body-secondary" title="{no_score}">—</span>'
    tone = "success" if score >= 70 else "warning" if score >= 50 else "danger"
    return f'<span class="badge text-bg-{tone}">{int(score)}</span>'


def _touch(at: datetime, days: dict) -> str:
    local = timezone.localtime(at)
    day = local.date()
    if day not in days:
        days[day] = escape(naturalday(local))
    title = escape(formats.date_format(local, "DATETIME_FORMAT"))
    return f'<span title="{title}">{days[day]}</span>'
