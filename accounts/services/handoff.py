"""Sales handoff: a newly won customer goes to key account or outbound management."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Handoff, TimelineEntry
from accounts.services import accounts as account_services
from accounts.services import contacts as contact_services
from accounts.services import todos
from core.exceptions import ApplicationError
from core.i18n import Later
from core.models import Team, User
from core.roles import Role


def _outbound_owner(team: Team) -> User:
    """The outbound team member with the fewest accounts (ties: by name)."""
    member = (
        team.members.filter(is_active=True)
        .annotate(n=Count("owned_accounts"))
        .order_by("n", "username")
        .first()
    )
    return member or team.manager


@transaction.atomic
def handoff_submit(
    *,
    actor: User,
    name: str,
    country: str,
    needs: str,
    complexity: str,
    proposed_path: str,
    team: Team | None = None,
    products=(),
    expected_annual_revenue: Decimal = Decimal("0"),
    contact: dict | None = None,
    allow_duplicate: bool = False,
    **account_fields,
) -> Handoff:
    """Create the customer from the intake form, with its main contact, and route
    it. A customer whose name an account already has is refused unless
    `allow_duplicate` says it is another one."""
    name = name.strip()
    if not allow_duplicate and Account.objects.filter(name__iexact=name).exists():
        raise ApplicationError(
            _(
                "An account named “%(name)s” already exists. Look it up in the "
                "account list, or tick “Create a second account with this name” "
                "if this is another customer."
            )
            % {"name": name},
            extra={"field": "name"},
        )
    if proposed_path == Account.ServicePath.KEY_ACCOUNT:
        if team is None or team.is_outbound:
            raise ApplicationError(
                _("Choose the key account team whose manager assigns a KAM."),
                extra={"field": "team"},
            )
        if team.manager is None:
            raise ApplicationError(
                _("The team %(team)s has no manager.") % {"team": team}
            )
        owner = team.manager
        status = Handoff.Status.AWAITING_KAM
    else:
        team = (
            team
            if team and team.is_outbound
            else Team.objects.filter(is_outbound=True).first()
        )
        if team is None:
            raise ApplicationError(
                _("There is no outbound account management team yet.")
            )
        owner = _outbound_owner(team)
        if owner is None:
            raise ApplicationError(_("The outbound team has no members."))
        status = Handoff.Status.ROUTED
    account = account_services.account_create(
        owner=owner,
        actor=actor,
        name=name,
        country=country,
        complexity=complexity,
        service_path=proposed_path,
        lifecycle=Account.Lifecycle.CUSTOMER,
        is_key_account=proposed_path == Account.ServicePath.KEY_ACCOUNT,
        revenue_potential=expected_annual_revenue,
        **account_fields,
    )
    handoff = Handoff.objects.create(
        account=account,
        needs=needs,
        complexity=complexity,
        proposed_path=proposed_path,
        expected_annual_revenue=expected_annual_revenue,
        team=team,
        status=status,
        submitted_by=actor,
    )
    handoff.products.set(products)
    if contact:
        contact_services.contact_create(account=account, **contact)
    TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(
            gettext_noop("Sales handoff: %(path)s"),
            path=Account.ServicePath(account.service_path).label,
        ),
        summary=needs[:300],
        actor=actor,
    )
    if status == Handoff.Status.AWAITING_KAM:
        todos.task_create(
            title=_("Assign a key account manager to %(account)s")
            % {"account": account},
            due_at=timezone.now() + timedelta(days=2),
            assignee=owner,
            account=account,
            actor=actor,
            related=handoff,
        )
    todos.check_ins_plan(
        account=account,
        occasion="handoff",
        start_on=timezone.localdate(),
        actor=actor,
        notes=_("Planned after the sales handoff: how is the start going?"),
    )
    return handoff


@transaction.atomic
def handoff_assign_kam(*, handoff: Handoff, kam: User, actor: User) -> Handoff:
    """The manager gives the new key account to a KAM of the team."""
    handoff = (
        Handoff.objects.select_for_update()
        .select_related("account", "team")
        .get(pk=handoff.pk)
    )
    if handoff.status != Handoff.Status.AWAITING_KAM:
        if handoff.account.owner_id == kam.pk:
            return handoff
        raise ApplicationError(_("This customer has been assigned already."))
    if handoff.team.manager_id != actor.pk and not actor.has_role(Role.ADMINISTRATOR):
        raise ApplicationError(_("Only the team's manager assigns its key accounts."))
    if kam.team_id != handoff.team_id or not kam.has_role(Role.KEY_ACCOUNT_MANAGER):
        raise ApplicationError(
            _("Choose a key account manager of %(team)s.") % {"team": handoff.team}
        )
    account_services.account_assign(account=handoff.account, owner=kam, actor=actor)
    handoff.account.tasks.filter(
        related_object_id=str(handoff.pk), done_at__isnull=True
    ).update(done_at=timezone.now())
    handoff.status = Handoff.Status.ROUTED
    handoff.assigned_at = timezone.now()
    handoff.save(update_fields=["status", "assigned_at", "updated_at"])
    return handoff
