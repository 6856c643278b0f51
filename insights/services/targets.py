"""The churn target a manager sets for a year."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import Team
from core.roles import Role
from insights.models import ChurnTarget


@transaction.atomic
def churn_target_set(
    *, actor, year: int, team: Team | None, reduction_percent: Decimal
) -> ChurnTarget:
    """Set (or change) the churn target of a team, or of the company, for a year."""
    roles = actor.role_names
    if Role.ADMINISTRATOR not in roles:
        if Role.SALES_MANAGER not in roles:
            raise ApplicationError(_("Only sales managers set churn targets."))
        if team is None or team.manager_id != actor.pk:
            raise ApplicationError(
                _("Set a target for a team you manage."), extra={"field": "team"}
            )
    this_year = timezone.localdate().year
    if not this_year - 1 <= year <= this_year + 1:
        raise ApplicationError(
            _("Choose %(a)d, %(b)d or %(c)d.")
            % {"a": this_year - 1, "b": this_year, "c": this_year + 1},
            extra={"field": "year"},
        )
    if not Decimal(0) < reduction_percent <= Decimal(100):
        raise ApplicationError(
            _("The reduction must be above 0 and at most 100 %."),
            extra={"field": "reduction_percent"},
        )
    target, _created = ChurnTarget.objects.update_or_create(
        year=year,
        team=team,
        defaults={"reduction_percent": reduction_percent, "set_by": actor},
    )
    return target
