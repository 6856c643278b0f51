"""Role home pages: they read across every app, so they live in the top app."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import versions
from accounts.models import Account
from accounts.selectors import (
    account_list_for_user,
    task_list_for_user,
)
from accounts.table import table_html
from contracts import selectors as contract_selectors
from core import selectors as core_selectors
from core.fragments import fragment
from core.jinja2 import render_partial
from core.models import OutboundMessage, User
from core.roles import Role


@login_required
def floor(request):
    """The floor of every page (bench/pages.py measures each page against it): the
    same middleware, session and sign-in check, and a tiny response."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request):
    """Show the home page of the user's main role."""
    user = request.user
    role = user.primary_role
    if role == Role.ADMINISTRATOR:
        return _admin_home(request)
    if role == Role.CUSTOMER_SERVICES:
        return render(
            request,
            "home/customer_services.html",
            {"worklist": contract_selectors.worklist_counts()},
        )
    if role == Role.SALES_MANAGER:
        return _manager_home(request)
    if role == Role.KEY_ACCOUNT_MANAGER:
        return _kam_home(request)
    return render(request, "home/no_role.html", {})


def _kam_home(request):
    user = request.user
    # own and deputised accounts, key accounts first, in one read: the figures,
    # the billing cards' key and the table's page (own and deputised accounts are
    # visible by the access rule: no need for its joins)
    mine = list(
        Account.objects.filter(Q(owner=user) | Q(deputy=user))
        .order_by("-is_key_account", "name")
        .values_list("pk", "version", "owner_id", "deputy_id", "is_key_account",
                     "revenue_12m", named=True)
    )  # fmt: skip
    me = user.pk  # once: the request's user is a lazy object, each access a call
    owned = [a for a in mine if a.owner_id == me]
    counts = {
        "owned": len(owned),
        "deputy": sum(1 for a in mine if a.deputy_id == me),
        "key": sum(1 for a in owned if a.is_key_account),
        "revenue": sum((a.revenue_12m for a in owned), Decimal(0)),
    }
    end_of_today = timezone.localtime().replace(hour=23, minute=59, second=59)
    due = list(
        task_list_for_user(user=user)
        .filter(assignee=user, done_at__isnull=True, due_at__lte=end_of_today)
        .order_by("due_at")[:15]
    )
    billing_key = versions.stamp_of((a.pk, a.version) for a in owned)
    return render(
        request,
        "home/kam.html",
        {
            "counts": counts,
            "due_tasks": due,
            "billing_html": _billing_cards(request, billing_key),
            "accounts_html": table_html(user, [(a.pk, a.version) for a in mine[:60]]),
        },
    )


def _billing_cards(request, stamp: tuple) -> str:
    """MRR, overdue invoices and cancel-by dates of the user's accounts, kept in the
    cache while none of those accounts changed: any write concerning an account
    raises its version, and with it the stamp of her own accounts in the key
    (accounts.versions)."""

    def render() -> str:
        billing = contract_selectors.portfolio_billing_for_user(user=request.user)
        return render_partial("home/_billing.html", {"billing": billing})

    return fragment("home-billing", (request.user.pk, *stamp), render)


def _manager_home(request):
    teams = core_selectors.team_list_for_manager(user=request.user)
    accounts = account_list_for_user(user=request.user)
    per_owner = dict(
        accounts.values("owner").annotate(n=Count("pk")).values_list("owner", "n")
    )
    rows = [
        {
            "team": team,
            "members": [
                {"user": m, "accounts": per_owner.get(m.pk, 0)}
                for m in team.members.all()
            ],
        }
        for team in teams
    ]
    members = [m for row in rows for m in row["members"]]
    chart = {
        "horizontal": True,
        "labels": [str(m["user"]) for m in members],
        "datasets": [
            {"label": str(_("Accounts")), "data": [m["accounts"] for m in members]}
        ],
    }
    return render(
        request,
        "home/manager.html",
        {
            "teams": rows,
            "account_total": sum(per_owner.values()),
            "chart": chart,
            "chart_height": 80 + 32 * len(members),
        },
    )


def _admin_home(request):
    by_status = dict(
        OutboundMessage.objects.values_list("status").annotate(n=Count("pk"))
    )
    role_counts = {
        role.label: n for role, n in core_selectors.role_member_counts().items()
    }
    return render(
        request,
        "home/admin.html",
        {
            "outbox": [
                {"label": s.label, "status": s.value, "n": by_status.get(s.value, 0)}
                for s in OutboundMessage.Status
            ],
            "role_counts": role_counts,
            "user_total": User.objects.filter(is_active=True).count(),
        },
    )
