import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from core import selectors, services
from core.decorators import role_required
from core.downloads import stored_file_response
from core.forms import OutboxFilterForm
from core.models import Export
from core.roles import Role
from core.spreadsheets import XLSX_MIME


@role_required(Role.ADMINISTRATOR)
def outbox_list(request):
    form = OutboxFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else None
    page = Paginator(selectors.outbox_list(status=status), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "core/outbox_list.html", {"form": form, "page": page})


@role_required(Role.ADMINISTRATOR)
def outbox_detail(request, pk):
    message = get_object_or_404(
        selectors.outbox_list().prefetch_related("attachments"), pk=pk
    )
    return render(request, "core/outbox_detail.html", {"message": message})


@xframe_options_sameorigin
@role_required(Role.ADMINISTRATOR)
def outbox_html(request, pk):
    """Serve a stored HTML body for the sandboxed preview frame."""
    message = get_object_or_404(selectors.outbox_list(), pk=pk)
    response = HttpResponse(message.body_html, content_type="text/html; charset=utf-8")
    # The mail's HTML is foreign content: no scripts, no requests, own origin.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'"
    )
    response._csp_exempt = True
    return response


def favicon(request):
    """Point browsers that ask for /favicon.ico (e.g. on admin pages) to the icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


@login_required
def notification_list(request):
    notifications = request.user.notifications.all()
    if request.htmx:  # the bell's dropdown
        return render(
            request, "core/_notification_menu.html", {"page": notifications[:8]}
        )
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
def notification_open(request, pk):
    """Mark a notification read and follow its link (local links only)."""
    notification = get_object_or_404(request.user.notifications, pk=pk)
    services.notification_mark_read(
        user=request.user, notification_ids=[notification.pk]
    )
    target = notification.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("core:notifications")
    return redirect(target)


@login_required
@require_POST
def notification_read_all(request):
    services.notification_mark_read(user=request.user)
    return redirect("core:notifications")


@login_required
def export_detail(request, pk):
    """A report workbook being written (the progress polls itself), then its link."""
    export = get_object_or_404(request.user.exports, pk=pk)
    context = {"export": export}
    if request.htmx:
        return render(request, "core/_export_progress.html", {**context, "oob": True})
    recent = request.user.exports.only("pk", "title", "status", "created_at")[:10]
    return render(
        request,
        "core/export.html",
        {**context, "recent": recent, "keep_hours": settings.KAM_EXPORT_KEEP_HOURS},
    )


@login_required
def export_download(request, pk):
    export = get_object_or_404(request.user.exports, pk=pk, status=Export.Status.DONE)
    return stored_file_response(
        export.file, filename=f"{export.filename}.xlsx", content_type=XLSX_MIME
    )


def server_error(request):
    """The 500 page; a database that cannot be reached (restart, failover) gets a 503
    with Retry-After instead, since trying again shortly will work. Rendered without
    context processors, which would need the database."""
    exc = sys.exc_info()[1]
    unavailable = isinstance(exc, OperationalError | InterfaceError)
    template = loader.get_template("503.html" if unavailable else "500.html")
    response = HttpResponse(template.render(), status=503 if unavailable else 500)
    if unavailable:
        response["Retry-After"] = "5"
    return response
