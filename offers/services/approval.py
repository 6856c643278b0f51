"""The approval rule: which offers need a manager's approval and why, who
approves, asking and deciding."""

from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import services as core_services
from core import state
from core.exceptions import ApplicationError
from core.links import absolute_url
from core.roles import Role
from offers.models import ApprovalRule, Offer

Status = Offer.Status


def approval_reasons(offer: Offer, *, rules=None, rates=None) -> list[str]:
    """Which active approval rules the offer breaks (options and lines prefetched).

    Pass `rules` and `rates` when checking many offers, to load them once.
    """
    from catalog.selectors import BASE_CURRENCY, exchange_rates, to_base

    rules = (
        list(ApprovalRule.objects.filter(is_active=True)) if rules is None else rules
    )
    if rates is None:
        # read only where a total in another currency is to be compared in EUR
        needs_rates = offer.currency != BASE_CURRENCY and any(
            rule.kind == ApprovalRule.Kind.TOTAL for rule in rules
        )
        rates = exchange_rates() if needs_rates else {BASE_CURRENCY: Decimal("1")}
    reasons = []
    for option in offer.options.all():
        totals = option.totals()
        for rule in rules:
            if rule.kind == ApprovalRule.Kind.LINE_DISCOUNT:
                # measured against the list price: a lower unit price is a discount
                for line in option.lines.all():
                    if line.effective_discount > rule.threshold:
                        reasons.append(
                            _(
                                "%(option)s: %(line)s at %(price)s instead of the "
                                "list price %(list)s, an effective discount of "
                                "%(d)s %%, is above %(t)s %%."
                            )
                            % {
                                "option": option,
                                "line": line.description,
                                "price": line.unit_price,
                                "list": line.reference_price,
                                "d": line.effective_discount,
                                "t": rule.threshold,
                            }
                        )
            elif rule.kind == ApprovalRule.Kind.OVERALL_DISCOUNT:
                if totals["discount_percent"] > rule.threshold:
                    reasons.append(
                        _("%(option)s: overall discount %(d)s %% is above %(t)s %%.")
                        % {
                            "option": option,
                            "d": totals["discount_percent"],
                            "t": rule.threshold,
                        }
                    )
            elif rule.kind == ApprovalRule.Kind.TOTAL:
                net = to_base(totals["net"], offer.currency, rates)
                if net > rule.threshold:
                    reasons.append(
                        _("%(option)s: a net total of %(n)s EUR is above %(t)s EUR.")
                        % {"option": option, "n": net, "t": rule.threshold}
                    )
    return reasons


def offer_with_lines(offer: Offer) -> Offer:
    return (
        Offer.objects.select_related(
            "account", "account__owner", "contact", "created_by"
        )
        .prefetch_related("options__lines__product")
        .get(pk=offer.pk)
    )


def check_complete(offer: Offer) -> None:
    if not offer.options.all():
        raise ApplicationError(_("The offer has no options."))
    empty = [o.name for o in offer.options.all() if not o.lines.all()]
    if empty:
        raise ApplicationError(_("These options have no lines: %s") % ", ".join(empty))
    if offer.valid_until < timezone.localdate():
        raise ApplicationError(_("The validity date lies in the past."))


def approval_excluded(offer: Offer) -> dict[int, str]:
    """Who may not approve the offer, and why: who asked, the account's owner, the
    offer's creator, and whoever changed it since its last approval."""
    why = {}
    for pk in offer.changed_by_ids:
        why[pk] = _("You changed this offer since its last approval.")
    why[offer.created_by_id] = _("You made this offer.")
    why[offer.account.owner_id] = _("The account is yours.")
    if offer.approval_requested_by_id:
        why[offer.approval_requested_by_id] = _("You asked for this approval.")
    return why


def administrators() -> list:
    from core.models import User

    return list(
        User.objects.filter(is_active=True, groups__name=Role.ADMINISTRATOR)
        .distinct()
        .order_by("pk")
    )


def approval_route(offer: Offer, *, admins=None) -> tuple[list, bool]:
    """Who decides the offer: the Sales Manager of the account's team, or, when
    they may not (they asked, or changed it) or there is none, the administrators
    one level up; and whether it went up. Pass `admins` when routing many."""
    excluded = approval_excluded(offer)
    team = offer.account.owner.team
    manager = team.manager if team and team.manager_id else None
    if manager and manager.is_active and manager.pk not in excluded:
        return [manager], False
    admins = administrators() if admins is None else admins
    return [a for a in admins if a.pk not in excluded], True


def _approvers(offer: Offer):
    return approval_route(offer)[0]


@transaction.atomic
def offer_request_approval(*, offer: Offer, actor) -> Offer:
    """Ask the team's Sales Manager to approve the special conditions."""
    state.lock(offer)  # the row; then the offer with its lines, once
    offer = offer_with_lines(offer)
    if offer.status == Status.PENDING_APPROVAL:
        return offer
    check_complete(offer)
    reasons = approval_reasons(offer)
    if not reasons:
        raise ApplicationError(_("This offer needs no approval; you can send it."))
    state.transition(offer, Status.PENDING_APPROVAL, actor=actor)
    offer.needs_approval = True
    offer.approval_reasons = reasons
    offer.approval_requested_by = actor
    offer.save(
        update_fields=[
            "status",
            "needs_approval",
            "approval_reasons",
            "approval_requested_by",
            "updated_at",
        ]
    )
    url = reverse("offers:detail", args=[offer.pk])
    for manager in _approvers(offer):
        core_services.notification_create(
            user=manager,
            title=_("Approval requested: %(offer)s") % {"offer": offer.label},
            body=offer.account.name,
            url=url,
            dedupe_key=f"approval:{offer.pk}:{offer.updated_at:%Y%m%d%H%M%S%f}",
        )
        if manager.email:
            core_services.message_queue(
                to=[manager.email],
                subject=_("Approval requested: %(offer)s for %(account)s")
                % {"offer": offer.label, "account": offer.account.name},
                body_text="\n".join(
                    [
                        str(_("%(kam)s asks for your approval:") % {"kam": actor}),
                        "",
                        *reasons,
                        "",
                        absolute_url(url),
                    ]
                ),
                related=offer,
            )
    return offer


def _check_approver(offer: Offer, actor) -> None:
    why = approval_excluded(offer).get(actor.pk)
    if why:
        raise ApplicationError(
            _("%(why)s Someone else decides: %(who)s.")
            % {
                "why": why,
                "who": ", ".join(str(u) for u in _approvers(offer))
                or _("an administrator"),
            }
        )
    is_admin = actor.has_role(Role.ADMINISTRATOR)
    team = offer.account.owner.team
    if not is_admin and not (
        actor.has_role(Role.SALES_MANAGER) and team and team.manager_id == actor.pk
    ):
        raise ApplicationError(
            _("Only the Sales Manager of the account's team can decide.")
        )


@transaction.atomic
def offer_decide(*, offer: Offer, actor, approve: bool, comment: str = "") -> Offer:
    """Approve or reject a pending offer; the KAM is told either way."""
    offer = state.lock(offer)
    target = Status.APPROVED if approve else Status.REJECTED
    if offer.status == target:
        return offer
    _check_approver(offer, actor)
    if not approve and not comment.strip():
        raise ApplicationError(
            _("Say why the offer is rejected."), extra={"field": "comment"}
        )
    state.transition(offer, target, actor=actor, comment=comment)
    offer.approved_by = actor if approve else None
    offer.approved_at = timezone.now() if approve else None
    offer.approval_comment = comment
    if approve:  # changes from here on count against the next approval
        offer.changed_by_ids = []
    offer.save(
        update_fields=[
            "status",
            "approved_by",
            "approved_at",
            "approval_comment",
            "changed_by_ids",
            "updated_at",
        ]
    )
    title = (_("Approved: %(offer)s") if approve else _("Rejected: %(offer)s")) % {
        "offer": offer.label
    }
    core_services.notification_create(
        user=offer.created_by,
        title=title,
        body=comment,
        url=reverse("offers:detail", args=[offer.pk]),
    )
    return offer
