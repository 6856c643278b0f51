from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import selectors
from accounts.filters import AccountFilter
from accounts.forms import (
    AccountForm,
    AssignKamForm,
    ContactForm,
    DocumentForm,
    EmailForm,
    HandoffForm,
    ImportForm,
    TaskForm,
    TouchpointForm,
)
from accounts.models import Account, Handoff
from accounts.panels import (
    FORMS,
    LAZY,
    FoldedForm,
    lazy_html,
    panels_for,
    register_form,
)
from accounts.services import accounts as account_services
from accounts.services import activity, contacts, handoff, imports, todos
from accounts.table import table_html
from catalog.selectors import exchange_rates
from core.access import can_change, visible_to
from core.decorators import role_required
from core.downloads import stored_file_response
from core.exceptions import ApplicationError
from core.forms import messages_from_form, run_service
from core.fragments import fragment
from core.jinja2 import render_partial
from core.models import User
from core.paging import keyset_page
from core.roles import Role
from core.spreadsheets import export_response

EXPORT_HEADERS = [
    "external_ref",
    "name",
    "tier",
    "revenue_12m_eur",
    "trend_percent",
    "lifecycle",
    "service_path",
    "industry",
    "country",
    "owner",
    "deputy",
    "open_tasks",
    "last_touch",
]


def _owners_for(user):
    """The key account managers the list's owner filter offers, and their choices
    when they are known without a query (None: the widget lists the queryset)."""
    qs = User.objects.filter(is_active=True, groups__name=Role.KEY_ACCOUNT_MANAGER)
    if user.sees_everything:
        return qs.order_by("first_name"), None
    if Role.SALES_MANAGER not in user.role_names:
        # only teams' managers choose among others (core.access): herself at most
        mine = user.has_role(Role.KEY_ACCOUNT_MANAGER)
        return qs.filter(pk=user.pk), [(user.pk, str(user))] if mine else []
    return qs.filter(Q(pk=user.pk) | Q(team__manager=user)).order_by("first_name"), None


def _require_change(user, obj):
    if not can_change(user, obj):
        raise PermissionDenied


# the account list's order columns that it pages by key (indexes on column, id)
KEYSET_COLUMNS = {"name", "revenue_12m", "tier"}


@login_required
def account_list(request):
    filterset = AccountFilter(
        request.GET or None,
        queryset=selectors.account_rows_for_user(user=request.user),
        request=request,
        owners=_owners_for(request.user),  # (queryset, choices or None)
    )
    qs = filterset.qs
    # a filter value that is not valid is left out, and the list says so
    form = filterset.form
    filter_errors = [
        f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    ]  # fmt: skip
    # the order ("-revenue_12m"), by name when none is asked for; ties by id
    chosen = (getattr(form, "cleaned_data", {}).get("ordering") or ["name"])[0]
    order = filterset.filters["ordering"].get_ordering_value(chosen)
    qs = qs.order_by(order, "pk")
    # the list continues from a row's key (core.paging) where the column holds no
    # NULLs and is indexed with the id; else (last touch, open tasks) by offset
    keyset = order if order.lstrip("-") in KEYSET_COLUMNS else None
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx") and filter_errors:
        # an export with a filter left out would hold accounts nobody asked for
        return HttpResponseBadRequest(
            " ".join(filter_errors), content_type="text/plain"
        )
    if fmt in ("csv", "xlsx"):
        rows = (
            (
                a.external_ref,
                a.name,
                a.tier,
                a.revenue_12m,
                a.revenue_trend,
                a.get_lifecycle_display(),
                a.get_service_path_display(),
                a.industry,
                a.country,
                a.owner.username,
                a.deputy.username if a.deputy else "",
                a.open_tasks,
                a.last_touch_at,
            )
            for a in qs.iterator(chunk_size=2000)
        )
        return export_response(
            filename="accounts", headers=EXPORT_HEADERS, rows=rows, fmt=fmt
        )
    # the page's ids and versions first; its rows come from the cache while those
    # are the same (accounts.table)
    light = qs.values("pk", "version", *([keyset.lstrip("-")] if keyset else []))
    if keyset:
        page = keyset_page(light, keyset, request.GET, 50)
    else:  # by the last touch (NULLs) or the open tasks (computed): by offset
        page = Paginator(light, 50).get_page(request.GET.get("page"))
    keys = [(row["pk"], row["version"]) for row in page.object_list]
    n = page.paginator.count
    context = {
        "filter": filterset, "page": page,
        "table_html": table_html(request.user, keys),
        "filter_errors": filter_errors,
        "count_label": ngettext("%(n)s account", "%(n)s accounts", n)
        % {"n": formats.number_format(n, force_grouping=True)},
    }  # fmt: skip
    template = (
        "accounts/_account_results.html" if request.htmx else "accounts/list.html"
    )
    return render(request, template, context)


@login_required
def account_detail(request, pk):
    """The 360: the header, the order situation and the account's data; every other
    section is a placeholder that loads itself when it comes into view
    (`account_panel`)."""
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    context = {
        "account": account,
        "editable": can_change(request.user, account),
        "criteria": [
            Account.Criterion(c).label
            for c in account.key_account_criteria
            if c in Account.Criterion.values
        ],
        "orders_html": _orders_html(request, account),
        "lazy_main": [p for p in LAZY.values() if p.column == "main"],
        "lazy_side": [p for p in LAZY.values() if p.column == "side"],
    }
    return render(request, "accounts/detail.html", context)


def _orders_html(request, account) -> str:
    """The order situation, kept while the versions of the account's corporate group
    (its revenue and companies are shown) and the exchange rates are the same."""

    def render_orders() -> str:
        situation = selectors.order_situation(account=account)
        chart = {
            "labels": [formats.date_format(m, "M Y") for m in situation.months],
            "datasets": [
                {
                    "label": _("Net revenue (%(currency)s)")
                    % {"currency": situation.currency},
                    "data": [float(v) for v in situation.monthly],
                }
            ],
        }
        return render_partial(
            "accounts/_orders.html",
            {
                "account": account,
                "situation": situation,
                "revenue_chart": chart,
                "children": account.children.only("pk", "name", "tier"),
                "panels": panels_for(account=account, user=request.user),
            },
        )

    group = selectors.group_versions(account=account)
    rates = sorted(exchange_rates().items())
    return fragment("360-orders", (account.pk, *group, rates), render_orders)


@login_required
def account_panel(request, pk, name):
    """One lazy section of the 360, from the cache while the account's version is
    the same; without htmx, as a page of its own."""
    panel = LAZY.get(name)
    if panel is None:
        raise Http404
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    html = lazy_html(request, account, panel, can_change(request.user, account))
    if request.htmx:
        return HttpResponse(html)
    return render(request, "accounts/panel_page.html",
                  {"account": account, "panel": panel, "html": html})  # fmt: skip


# The 360's own folded forms; apps above accounts add theirs from their panels
register_form("touchpoint", FoldedForm(
    lambda request, account: TouchpointForm(account=account),
    "accounts:touchpoint-create", _lazy("Log touchpoint"), "touchpoint-form",
))  # fmt: skip
register_form("email", FoldedForm(
    lambda request, account: EmailForm(account=account),
    "accounts:email-send", _lazy("Send"), "email-form",
))  # fmt: skip
register_form("task", FoldedForm(
    lambda request, account: TaskForm(user=request.user),
    "accounts:task-create", _lazy("Add task"), "task-form",
))  # fmt: skip
register_form("document", FoldedForm(
    lambda request, account: DocumentForm(),
    "accounts:document-upload", _lazy("Upload"), "document-form",
))  # fmt: skip


@login_required
def account_form(request, pk, kind):
    """One of the 360's folded forms, rendered when it is opened: the 360 itself
    stays light. Without htmx it is a page of its own."""
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    _require_change(request.user, account)
    build, action, button, test_id = FORMS[kind]
    return render(
        request,
        "accounts/_account_form.html" if request.htmx else "accounts/account_form.html",
        {
            "account": account,
            "form": build(request, account),
            "action": reverse(action, args=[account.pk]),
            "button": button,
            "test_id": test_id,
        },
    )


@login_required
def account_timeline(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    page = Paginator(selectors.timeline_for_account(account=account), 15).get_page(
        request.GET.get("page")
    )
    return render(
        request, "accounts/_timeline.html", {"account": account, "timeline": page}
    )


@login_required
def account_edit(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    _require_change(request.user, account)
    parents = selectors.account_list_for_user(user=request.user)
    form = AccountForm(
        request.POST or None, instance=account, user=request.user, parents=parents
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if run_service(
            form,
            account_services.account_update,
            account=account,
            actor=request.user,
            **fields,
        ):
            messages.success(request, _("Account saved."))
            return redirect(account)
    return render(request, "accounts/edit.html", {"account": account, "form": form})


@login_required
def contact_edit(request, account_pk, pk=None):
    account = selectors.account_get_for_user(user=request.user, pk=account_pk)
    _require_change(request.user, account)
    contact = get_object_or_404(account.contacts, pk=pk) if pk else None
    form = ContactForm(request.POST or None, instance=contact, account=account)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if contact:
            saved = run_service(form, contacts.contact_update, contact=contact, **data)
        else:
            saved = run_service(form, contacts.contact_create, account=account, **data)
        if saved:
            messages.success(request, _("Contact saved."))
            return redirect(reverse("accounts:detail", args=[account.pk]) + "#contacts")
    return render(
        request,
        "accounts/contact_form.html",
        {"account": account, "form": form, "contact": contact},
    )


@login_required
@require_POST
def contact_delete(request, account_pk, pk):
    account = selectors.account_get_for_user(user=request.user, pk=account_pk)
    _require_change(request.user, account)
    contact = get_object_or_404(account.contacts, pk=pk)
    try:
        contacts.contact_delete(contact=contact)
    except ApplicationError as exc:
        # back where the button was, with the reason on top (the 360's #contacts
        # anchor would scroll the message out of sight)
        messages.error(request, exc.message)
        return redirect("accounts:contact-edit", account.pk, contact.pk)
    messages.success(request, _("Contact removed."))
    return redirect(reverse("accounts:detail", args=[account.pk]) + "#contacts")


def post_on_account(request, pk, *, form, service, anchor, success, arguments):
    """Shared flow of the small forms on the account 360 page (errors as messages).

    Apps that add a panel to the 360 (accounts.panels) post their forms through it.
    """
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    _require_change(request.user, account)
    bound = form(account)
    if bound.is_valid() and run_service(
        bound, service, **arguments(account, bound.cleaned_data)
    ):
        messages.success(request, success)
    else:
        messages_from_form(request, bound)
    return redirect(reverse("accounts:detail", args=[account.pk]) + anchor)


@login_required
@require_POST
def touchpoint_create(request, pk):
    return post_on_account(
        request,
        pk,
        form=lambda a: TouchpointForm(request.POST, account=a),
        service=activity.touchpoint_log,
        anchor="#timeline",
        success=_("Touchpoint logged."),
        arguments=lambda a, d: {
            **d,
            "account": a,
            "actor": request.user,
            "contacts": list(d["contacts"]),
        },
    )


@login_required
@require_POST
def document_upload(request, pk):
    return post_on_account(
        request,
        pk,
        form=lambda a: DocumentForm(request.POST, request.FILES),
        service=activity.document_upload,
        anchor="#documents",
        success=_("Document filed."),
        arguments=lambda a, d: {
            "account": a,
            "actor": request.user,
            "uploaded_file": d["file"],
            "title": d["title"],
        },
    )


@login_required
@require_POST
def document_share(request, pk):
    """Share a document in the customer portal, or stop sharing it."""
    document = get_object_or_404(
        selectors.document_list_for_user(user=request.user), pk=pk
    )
    _require_change(request.user, document.account)
    shared = request.POST.get("shared") == "1"
    activity.document_share(document=document, shared=shared, actor=request.user)
    messages.success(
        request,
        _("“%(doc)s” is shared in the customer portal.") % {"doc": document}
        if shared
        else _("“%(doc)s” is no longer shared.") % {"doc": document},
    )
    return redirect(
        reverse("accounts:detail", args=[document.account_id]) + "#documents"
    )


@login_required
@require_POST
def email_send(request, pk):
    return post_on_account(
        request,
        pk,
        form=lambda a: EmailForm(request.POST, account=a),
        service=activity.account_email_send,
        anchor="#timeline",
        success=_("Email queued; it is on the timeline."),
        arguments=lambda a, d: {**d, "account": a, "actor": request.user},
    )


@login_required
@require_POST
def task_create_for_account(request, pk):
    return post_on_account(
        request,
        pk,
        form=lambda a: TaskForm(request.POST, user=request.user),
        service=todos.task_create,
        anchor="#tasks",
        success=_("Task created."),
        arguments=lambda a, d: {**d, "account": a, "actor": request.user},
    )


@login_required
def document_download(request, pk):
    document = get_object_or_404(
        selectors.document_list_for_user(user=request.user), pk=pk
    )
    return stored_file_response(
        document.file, filename=document.filename, content_type=document.mimetype
    )


@login_required
def task_list(request):
    show = request.GET.get("show", "open")
    qs = selectors.task_list_for_user(user=request.user).filter(assignee=request.user)
    qs = qs.filter(done_at__isnull=show != "done").order_by(
        "due_at" if show != "done" else "-done_at"
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/task_list.html", {"page": page, "show": show})


@login_required
def task_edit(request, pk=None):
    task = (
        get_object_or_404(selectors.task_list_for_user(user=request.user), pk=pk)
        if pk
        else None
    )
    form = TaskForm(request.POST or None, instance=task, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if task:
            saved = run_service(
                form, todos.task_update, task=task, actor=request.user, **data
            )
        else:
            saved = run_service(form, todos.task_create, actor=request.user, **data)
        if saved:
            messages.success(request, _("Task saved."))
            return redirect(saved.account or "accounts:tasks")
    return render(request, "accounts/task_form.html", {"form": form, "task": task})


@login_required
@require_POST
def task_toggle(request, pk):
    task = get_object_or_404(selectors.task_list_for_user(user=request.user), pk=pk)
    task = todos.task_set_done(task=task, done=request.POST.get("done") == "1")
    if request.htmx:
        return render(request, "accounts/_task_row.html", {"task": task})
    return redirect(request.POST.get("next") or "accounts:tasks")


@role_required(Role.SALES_MANAGER, Role.ADMINISTRATOR, Role.KEY_ACCOUNT_MANAGER)
def handoff_create(request):
    form = HandoffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = run_service(
            form, handoff.handoff_submit, actor=request.user, **form.service_data()
        )
        if result:
            messages.success(request, _("Handoff recorded and routed."))
            return redirect("accounts:handoffs")
    return render(request, "accounts/handoff_form.html", {"form": form})


@login_required
def handoff_list(request):
    qs = visible_to(
        Handoff.objects.select_related(
            "account", "account__owner", "team", "submitted_by"
        ),
        request.user,
    )
    page = Paginator(qs.order_by("-created_at"), 30).get_page(request.GET.get("page"))
    return render(request, "accounts/handoff_list.html", {"page": page})


@role_required(Role.SALES_MANAGER, Role.ADMINISTRATOR)
def handoff_assign(request, pk):
    item = get_object_or_404(
        visible_to(Handoff.objects.select_related("account", "team"), request.user),
        pk=pk,
    )
    form = AssignKamForm(request.POST or None, team=item.team)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            handoff.handoff_assign_kam,
            handoff=item,
            kam=form.cleaned_data["kam"],
            actor=request.user,
        )
        if done:
            messages.success(
                request,
                _("%(account)s now belongs to %(kam)s.")
                % {"account": item.account, "kam": form.cleaned_data["kam"]},
            )
            return redirect("accounts:handoffs")
    return render(
        request, "accounts/handoff_assign.html", {"handoff": item, "form": form}
    )


@role_required(Role.ADMINISTRATOR, Role.CUSTOMER_SERVICES)
def import_view(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.KAM_IMPORT_MAX_BYTES:
            form.add_error("file", _("The file is too large."))
            return render(
                request, "accounts/import.html", {"form": form, "specs": imports.SPECS}
            )
        report = imports.import_table(
            kind=form.cleaned_data["kind"],
            content=upload.read(),
            filename=upload.name,
            dry_run=form.cleaned_data["dry_run"],
            actor=request.user,
        )
        if report.ok and not report.dry_run:
            messages.success(
                request,
                _("Imported %(rows)d rows: %(created)d new, %(updated)d updated.")
                % {
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                },
            )
    return render(
        request,
        "accounts/import.html",
        {"form": form, "report": report, "specs": imports.SPECS},
    )
