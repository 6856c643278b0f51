"""Tasks, their reminders and the daily digest."""

from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Task, TimelineEntry
from accounts.selectors import assignable_users
from core import services as core_services
from core.access import can_see
from core.dates import local_datetime, show_date
from core.exceptions import ApplicationError
from core.i18n import Later
from core.links import absolute_url, base_url
from core.models import User

FIELDS = ["title", "notes", "due_at", "assignee", "account"]


def _validate(task: Task, actor=None) -> None:
    if not task.title.strip():
        raise ApplicationError(_("A task needs a title."), extra={"field": "title"})
    if not task.assignee.is_active:
        raise ApplicationError(
            _("Tasks can only go to active users."), extra={"field": "assignee"}
        )
    if (
        task.account is None
        and actor is not None
        and not assignable_users(user=actor).filter(pk=task.assignee_id).exists()
    ):
        raise ApplicationError(
            _(
                "A task without an account goes to you, your team, its manager or "
                "customer services; %(user)s is none of them."
            )
            % {"user": task.assignee},
            extra={"field": "assignee"},
        )
    if task.account is not None and not can_see(task.assignee, task.account):
        raise ApplicationError(
            _("%(user)s cannot see this account, so the task cannot go to them.")
            % {"user": task.assignee},
            extra={"field": "assignee"},
        )


@transaction.atomic
def task_create(
    *,
    title: str,
    due_at: datetime,
    assignee: User,
    actor: User | None,
    account: Account | None = None,
    notes: str = "",
    related=None,
    key: str = "",
) -> Task:
    """Create a task (optionally about an account and any other object). A task
    with a `key` is planned once per account: the existing one is returned."""
    task = Task(
        title=title.strip(),
        due_at=due_at,
        assignee=assignee,
        account=account,
        notes=notes,
        created_by=actor,
        key=key,
    )
    if related is not None:
        task.related_content_type = ContentType.objects.get_for_model(related)
        task.related_object_id = str(related.pk)
    _validate(task, actor)
    if key:
        try:
            with transaction.atomic():
                task.save()
        except IntegrityError:  # task_one_per_account_and_key
            return Task.objects.get(account=account, key=key)
    else:
        task.save()
    if account is not None:
        TimelineEntry.objects.create(
            account=account,
            kind=TimelineEntry.Kind.TASK,
            title=Later(gettext_noop("Task: %(title)s"), title=task.title),
            summary=Later(
                gettext_noop("Due %(due)s for %(user)s"), due=due_at, user=str(assignee)
            ),
            actor=actor,
            related_content_type=ContentType.objects.get_for_model(Task),
            related_object_id=str(task.pk),
        )
    return task


CHECK_IN_DAYS = (30, 60, 90)


@transaction.atomic
def check_ins_plan(
    *,
    account: Account,
    occasion: str,
    start_on: date,
    actor: User | None,
    notes: str,
    related=None,
) -> list[Task]:
    """Plan the 30/60/90-day check-ins after `occasion` (a handoff, a new contract):
    one set per account and occasion, and none while a set is still running."""
    keys = [f"check-in:{occasion}:{days}" for days in CHECK_IN_DAYS]
    running = (
        Task.objects.filter(
            account=account,
            key__startswith="check-in:",
            done_at__isnull=True,
            due_at__gte=timezone.now(),
        )
        .exclude(key__in=keys)
        .exists()
    )
    if running:
        return []
    return [
        task_create(
            title=_("%(days)d-day check-in with %(account)s")
            % {"days": days, "account": account.name},
            due_at=local_datetime(start_on + timedelta(days=days), 9),
            assignee=account.owner,
            account=account,
            actor=actor,
            notes=notes,
            related=related,
            key=key,
        )
        for days, key in zip(CHECK_IN_DAYS, keys, strict=True)
    ]


@transaction.atomic
def task_update(*, task: Task, actor=None, **fields) -> Task:
    """Change a task; a new due date means a new reminder."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    for name, value in fields.items():
        if name not in FIELDS:
            raise ApplicationError(_("The field %s cannot be changed here.") % name)
        setattr(task, name, value)
    if "due_at" in fields:
        task.reminder_sent_at = None
        fields["reminder_sent_at"] = None
    _validate(task, actor if "assignee" in fields or "account" in fields else None)
    task.save(update_fields=[*fields, "updated_at"])
    return task


@transaction.atomic
def task_delete(*, task: Task) -> None:
    """Delete a task (its timeline line stays, as history)."""
    Task.objects.filter(pk=task.pk).delete()


@transaction.atomic
def task_set_done(*, task: Task, done: bool) -> Task:
    """Mark a task done or open again (idempotent)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.is_done == done:
        return task
    task.done_at = timezone.now() if done else None
    task.save(update_fields=["done_at", "updated_at"])
    return task


def task_reminders_send(*, now: datetime | None = None, limit: int = 500) -> int:
    """Remind assignees of tasks that fell due: a bell notification and an email."""
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            due = list(
                Task.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("assignee", "account")
                .filter(
                    done_at__isnull=True, reminder_sent_at__isnull=True, due_at__lte=now
                )
                .order_by("due_at", "pk")[:limit]
            )
            for task in due:
                _remind(task, now)
            sent += len(due)
        if len(due) < limit:
            return sent


def _remind(task: Task, now: datetime) -> None:
    task.reminder_sent_at = now
    task.save(update_fields=["reminder_sent_at"])
    user = task.assignee
    url = reverse("accounts:task-edit", args=[task.pk])
    title = _("Due: %(title)s") % {"title": task.title}
    core_services.notification_create(
        user=user,
        title=title,
        body=task.account.name if task.account else "",
        url=url,
        dedupe_key=f"task-reminder:{task.pk}:{task.due_at:%Y%m%d%H%M}",
    )
    if user.email:
        context = {"task": task, "user": user, "url": absolute_url(url)}
        core_services.message_queue(
            to=[user.email],
            subject=title,
            body_text=render_to_string("emails/accounts/task_reminder.txt", context),
            related=task,
        )


def task_digest_send(*, day: date | None = None) -> int:
    """Email every user with open tasks due today or overdue one digest for `day`."""
    from accounts.models import DigestLog

    day = day or timezone.localdate()
    end_of_day = local_datetime(day + timedelta(days=1))
    tasks = (
        Task.objects.filter(done_at__isnull=True, due_at__lt=end_of_day)
        .select_related("account", "assignee")
        .order_by("assignee_id", "due_at")
    )
    by_user: dict[int, list[Task]] = {}
    for task in tasks:
        by_user.setdefault(task.assignee_id, []).append(task)
    sent = 0
    for user_tasks in by_user.values():
        user = user_tasks[0].assignee
        if not user.is_active or not user.email:
            continue
        try:
            with transaction.atomic():
                DigestLog.objects.create(user=user, day=day)
                start_of_day = end_of_day - timedelta(days=1)
                context = {
                    "user": user,
                    "day": day,
                    "overdue": [t for t in user_tasks if t.due_at < start_of_day],
                    "today": [t for t in user_tasks if t.due_at >= start_of_day],
                    "base_url": base_url(),
                }
                core_services.message_queue(
                    to=[user.email],
                    subject=_("Your tasks for %(day)s") % {"day": show_date(day)},
                    body_text=render_to_string(
                        "emails/accounts/task_digest.txt", context
                    ),
                    related=user,
                )
        except IntegrityError:
            continue  # this day's digest went out already
        sent += 1
    return sent
