"""The portfolio page: Pareto curve, attractiveness / position matrix, workload."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.portfolio import portfolio_overview
from accounts.selectors import account_list_for_user
from accounts.tasks import portfolio_recompute_task
from core.decorators import role_required
from core.queueing import enqueue
from core.roles import Role


@login_required
def portfolio(request):
    accounts = account_list_for_user(user=request.user)
    return render(
        request,
        "accounts/portfolio.html",
        {
            **portfolio_overview(accounts),
            "can_recompute": request.user.role_names
            & {Role.SALES_MANAGER, Role.ADMINISTRATOR},
        },
    )


@role_required(Role.SALES_MANAGER, Role.ADMINISTRATOR)
@require_POST
def portfolio_recompute(request):
    if enqueue(portfolio_recompute_task):
        messages.info(
            request, _("The portfolio is being recomputed; reload in a moment.")
        )
    else:
        messages.error(
            request,
            _("The background worker cannot be reached; the nightly run will "
              "recompute the portfolio."),
        )  # fmt: skip
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("accounts:portfolio")
