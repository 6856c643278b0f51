"""The per-user iCalendar feed (tasks; later renewal deadlines)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event

from accounts.models import Task
from core import services as core_services
from core.links import absolute_url, base_url
from core.models import User

FEED_DAYS_BACK = 90


def feed_url(user) -> str:
    path = reverse("accounts:calendar-feed", args=[user.calendar_token])
    return absolute_url(path)


def calendar_feed(request, token):
    """Serve the feed to calendar programs (no login: the URL is the secret)."""
    user = User.objects.filter(calendar_token=token, is_active=True).first()
    if user is None:
        raise Http404
    since = timezone.now() - timedelta(days=FEED_DAYS_BACK)
    tasks = Task.objects.filter(assignee=user, due_at__gte=since).select_related(
        "account"
    )
    cal = Calendar()
    cal.add("prodid", "-//KAM//Key account management//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"KAM · {user}")
    cal.add("x-published-ttl", "PT1H")
    base = base_url()
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.pk}@kam")
        event.add("summary", ("✓ " if task.is_done else "") + task.title)
        event.add("dtstart", task.due_at)
        event.add("dtend", task.due_at + timedelta(minutes=30))
        event.add("dtstamp", task.updated_at)
        description = task.notes
        if task.account:
            description = f"{task.account.name}\n{description}".strip()
            event.add("location", task.account.name)
        event.add("description", description)
        event.add("url", base + reverse("accounts:task-edit", args=[task.pk]))
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kam.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def calendar_settings(request):
    return render(
        request, "accounts/calendar.html", {"feed_url": feed_url(request.user)}
    )


@login_required
@require_POST
def calendar_rotate(request):
    core_services.calendar_token_rotate(user=request.user)
    messages.success(
        request, _("Your calendar feed has a new address; the old one stopped working.")
    )
    return redirect("accounts:calendar")
