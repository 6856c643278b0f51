from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts import selectors
from accounts.filters import AccountFilter


@login_required
def account_list(request):
    filterset = AccountFilter(
        request.GET or None,
        queryset=selectors.account_list_for_user(user=request.user),
        request=request,
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    template = "accounts/_account_rows.html" if request.htmx else "accounts/list.html"
    context = {"filter": filterset, "page": page, "accounts": page.object_list}
    return render(request, template, context)


@login_required
def account_detail(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    return render(request, "accounts/detail.html", {"account": account})
