"""Account plans: create, edit, objectives, actions (as tasks), reviews, agreement."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Contact, TimelineEntry
from accounts.services import todos
from catalog.pricing import round_money
from core import state
from core.dates import local_datetime
from core.exceptions import ApplicationError
from core.i18n import Later
from planning.models import (
    AccountPlan,
    PlanAction,
    PlanMonth,
    PlanObjective,
    PlanReview,
)
from planning.services import require_change, require_own_contact, require_past

ZERO = Decimal("0")


def _check(actor, plan_or_account) -> None:
    require_change(actor, getattr(plan_or_account, "account", plan_or_account))


def _event(plan: AccountPlan, actor, title: Later, summary: str = "") -> None:
    TimelineEntry.objects.create(
        account_id=plan.account_id, kind=TimelineEntry.Kind.EVENT,
        title=title, summary=summary, actor=actor,
    )  # fmt: skip


def spread(total: Decimal) -> list[Decimal]:
    """Twelve monthly targets that add up to `total` exactly (cents go to December)."""
    month = round_money(total / 12)
    return [month] * 11 + [round_money(total - month * 11)]


@transaction.atomic
def plan_create(*, actor, account: Account, year: int) -> AccountPlan:
    """Start the plan of a year; SWOT and cadence carry over from the year before."""
    _check(actor, account)
    this_year = timezone.localdate().year
    if not this_year - 1 <= year <= this_year + 1:
        raise ApplicationError(
            _("Plans are made for %(a)d to %(b)d.")
            % {"a": this_year - 1, "b": this_year + 1},
            extra={"field": "year"},
        )
    if AccountPlan.objects.filter(account=account, year=year).exists():
        raise ApplicationError(
            _("%(account)s has a plan for %(year)d already.")
            % {"account": account.name, "year": year},
            extra={"field": "year"},
        )
    before = AccountPlan.objects.filter(account=account, year=year - 1).first()
    carried = {f: getattr(before, f) for f in AccountPlan.SWOT} if before else {}
    plan = AccountPlan.objects.create(
        account=account, year=year, created_by=actor,
        contact_cadence_days=before.contact_cadence_days if before else None,
        **carried,
    )  # fmt: skip
    PlanMonth.objects.bulk_create(
        [PlanMonth(plan=plan, month=m, target=ZERO) for m in range(1, 13)]
    )
    _event(plan, actor, Later(gettext_noop("Account plan %(year)d started"), year=year))
    return plan


@transaction.atomic
def plan_update(
    *, actor, plan: AccountPlan, months: list[Decimal] | None = None, **fields
) -> AccountPlan:
    """Change the plan's texts, targets and the monthly targets."""
    _check(actor, plan)
    plan = state.lock(plan)
    unknown = set(fields) - set(AccountPlan.EDITABLE)
    if unknown:
        raise ValueError(f"not plan fields: {sorted(unknown)}")
    for name in ("revenue_target", "budget"):
        if name in fields and fields[name] < 0:
            raise ApplicationError(
                _("Amounts cannot be negative."), extra={"field": name}
            )
    if months is not None:
        if len(months) != 12 or any(m is None or m < 0 for m in months):
            raise ApplicationError(_("Give twelve monthly targets of 0 or more."))
        if not any(months) and fields.get("revenue_target"):
            months = spread(fields["revenue_target"])
        for month, target in enumerate(months, start=1):
            PlanMonth.objects.update_or_create(
                plan=plan, month=month, defaults={"target": round_money(target)}
            )
    for name, value in fields.items():
        setattr(plan, name, value.strip() if isinstance(value, str) else value)
    plan.full_clean(exclude=["account", "created_by", "agreed_with"])
    plan.save(update_fields=[*fields, "updated_at"])
    return plan


@transaction.atomic
def objective_add(
    *, actor, plan: AccountPlan, title: str, metric: str, target_value: Decimal,
    actual_value: Decimal | None = None, due_on: date | None = None,
) -> PlanObjective:  # fmt: skip
    """Add a measurable objective (a metric and its target)."""
    _check(actor, plan)
    if not title.strip() or not metric.strip():
        raise ApplicationError(_("An objective needs a title and how it is measured."))
    return PlanObjective.objects.create(
        plan=plan, title=title.strip(), metric=metric.strip(),
        target_value=target_value, actual_value=actual_value, due_on=due_on,
    )  # fmt: skip


@transaction.atomic
def objective_update(
    *, actor, objective: PlanObjective, actual_value: Decimal | None
) -> PlanObjective:
    """Record where an objective stands."""
    _check(actor, objective.plan)
    objective.actual_value = actual_value
    objective.save(update_fields=["actual_value"])
    return objective


@transaction.atomic
def action_add(
    *, actor, plan: AccountPlan, title: str, owner, due_on: date, kind: str
) -> PlanAction:
    """Add a campaign or action; its owner gets a task due that morning."""
    _check(actor, plan)
    if kind not in PlanAction.Kind.values:
        raise ApplicationError(_("Choose campaign or action."), extra={"field": "kind"})
    if due_on < timezone.localdate():
        raise ApplicationError(_("The due date lies in the past."),
                               extra={"field": "due_on"})  # fmt: skip
    action = PlanAction.objects.create(
        plan=plan, kind=kind, title=title.strip(), owner=owner, due_on=due_on
    )
    action.task = todos.task_create(
        title=_("%(kind)s for %(account)s: %(title)s")
        % {"kind": action.get_kind_display(), "account": plan.account.name,
           "title": action.title},
        notes=_("From the account plan %(year)d.") % {"year": plan.year},
        due_at=local_datetime(due_on, 9),
        assignee=owner, actor=actor, account=plan.account, related=plan,
    )  # fmt: skip
    action.save(update_fields=["task"])
    return action


@transaction.atomic
def review_add(
    *, actor, plan: AccountPlan, held_on: date, minutes: str, attendees: str = ""
) -> PlanReview:
    """Record a review meeting with the customer and its minutes."""
    _check(actor, plan)
    if held_on > timezone.localdate():
        raise ApplicationError(_("Record a review after it took place."),
                               extra={"field": "held_on"})  # fmt: skip
    if not minutes.strip():
        raise ApplicationError(_("Write down the minutes."), extra={"field": "minutes"})
    review = PlanReview.objects.create(
        plan=plan, held_on=held_on, minutes=minutes.strip(),
        attendees=attendees.strip(), recorded_by=actor,
    )  # fmt: skip
    title = Later(gettext_noop("Account plan review %(date)s"), date=held_on)
    _event(plan, actor, title, review.minutes)
    return review


@transaction.atomic
def plan_agree(
    *, actor, plan: AccountPlan, agreed_on: date, contact: Contact | None
) -> AccountPlan:
    """Mark the plan as agreed with the customer (idempotent)."""
    _check(actor, plan)
    plan = state.lock(plan)
    if plan.status == AccountPlan.Status.AGREED:
        return plan
    require_past(agreed_on, "agreed_on")
    require_own_contact(plan.account, contact)
    if not plan.revenue_target:
        raise ApplicationError(_("Set a revenue target before agreeing the plan."))
    plan.status, plan.agreed_on, plan.agreed_with = (
        AccountPlan.Status.AGREED, agreed_on, contact,
    )  # fmt: skip
    plan.save(update_fields=["status", "agreed_on", "agreed_with", "updated_at"])
    agreed = Later(
        gettext_noop("Account plan %(year)d agreed with the customer"), year=plan.year
    )
    _event(plan, actor, agreed, str(contact or ""))
    return plan


@transaction.atomic
def plan_reopen(*, actor, plan: AccountPlan) -> AccountPlan:
    """Take an agreed plan back to draft (to rework it with the customer)."""
    _check(actor, plan)
    plan = state.lock(plan)
    if plan.status != AccountPlan.Status.DRAFT:
        plan.status = AccountPlan.Status.DRAFT
        plan.save(update_fields=["status", "updated_at"])
    return plan
