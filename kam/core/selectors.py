"""Reads of the core app."""

from django.db.models import Count, QuerySet

from kam.core.models import OutboundMessage, Team, User
from kam.core.roles import Role


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


def users_with_role(role: Role) -> QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=role).distinct()
