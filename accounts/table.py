"""The account table (KAM home, account list): its rows kept in the cache by the
versions of the accounts they show.

A page of the table asks for the ids and versions of its accounts first (a light
query), and for the number of their open tasks that are overdue (time makes a task
overdue without a write; a write raises the version). While both are the same, the
rendered rows come from the cache: no row query with its task counts, no columns
from the apps above, no rendering.
"""

from django.utils import timezone

from accounts.models import Task
from accounts.panels import fill_columns
from accounts.selectors import account_rows_for_user
from core.fragments import fragment
from core.jinja2 import render_partial


def table_html(user, keys: list[tuple[int, int]]) -> str:
    """The table of the accounts `keys` ((id, version) in the order shown), whose
    rows are read (account_rows_for_user) only when they must be rendered."""
    ids = [pk for pk, _version in keys]
    overdue = Task.objects.filter(
        account_id__in=ids, done_at__isnull=True, due_at__lt=timezone.now()
    ).count()

    def render() -> str:
        rows = account_rows_for_user(user=user).filter(pk__in=ids)
        by_id = {a.pk: a for a in rows}
        accounts = [by_id[pk] for pk in ids if pk in by_id]
        fill_columns(accounts)
        return render_partial("accounts/_account_table.html", {"accounts": accounts})

    return fragment("account-table", (tuple(keys), overdue), render)
