"""Reads of the core app."""

from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet

from core.models import OutboundMessage, Team, User
from core.roles import Role


def outbox_list(*, status: str | None = None) -> QuerySet[OutboundMessage]:
    """Return outbox messages, newest first, with their attachment counts."""
    qs = (
        OutboundMessage.objects.select_related("related_content_type")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-created_at", "-pk")
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def team_list_for_manager(*, user: User) -> QuerySet[Team]:
    """Return the teams `user` leads, with their members."""
    return Team.objects.filter(manager=user).prefetch_related("members")


def role_member_counts() -> dict[Role, int]:
    """Count the active users of every role in one query."""
    counts = dict(
        Group.objects.filter(name__in=Role.values)
        .annotate(n=Count("user", filter=Q(user__is_active=True)))
        .values_list("name", "n")
    )
    return {role: counts.get(role.value, 0) for role in Role}
