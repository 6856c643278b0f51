"""Lost accounts: why they left, and the way back."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, TimelineEntry
from contracts.services import lifecycle
from core.exceptions import ApplicationError
from core.i18n import Later
from offers.models import Offer
from renewals.models import Churn


@transaction.atomic
def churn_reason_record(*, churn: Churn, actor, reason: str, note: str = "") -> Churn:
    """Record why an account was lost (a reason from the list, and what happened)."""
    churn = Churn.objects.select_for_update().get(pk=churn.pk)
    if reason not in Churn.Reason.values:
        raise ApplicationError(
            _("Choose a reason from the list."), extra={"field": "reason"}
        )
    if reason == Churn.Reason.OTHER and not note.strip():
        raise ApplicationError(
            _("Please describe the reason when you choose “Other”."),
            extra={"field": "note"},
        )
    churn.reason = reason
    churn.note = note.strip()
    churn.reason_by = actor
    churn.reason_at = timezone.now()
    churn.save(update_fields=["reason", "note", "reason_by", "reason_at"])
    TimelineEntry.objects.create(
        account_id=churn.account_id,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(
            gettext_noop("Churn reason: %(reason)s"),
            reason=Churn.Reason(churn.reason).label,
        ),
        summary=churn.note[:500],
        actor=actor,
    )
    return churn


@transaction.atomic
def winback_start(*, churn: Churn, actor) -> Offer:
    """Start a win-back offer from the lost account's last package (once)."""
    churn = (
        Churn.objects.select_for_update(of=("self",))
        .select_related("winback_offer", "contract")
        .get(pk=churn.pk)
    )
    if churn.won_back_on:
        raise ApplicationError(_("This account has been won back already."))
    offer = churn.winback_offer
    if offer is not None and offer.status not in (
        Offer.Status.DECLINED,
        Offer.Status.EXPIRED,
    ):
        return offer
    if churn.contract is None:
        raise ApplicationError(
            _("There is no earlier contract to start from; make a new offer.")
        )
    offer = lifecycle.offer_create_from_contract(
        contract=churn.contract,
        actor=actor,
        reuse=False,
        title=_("Win-back: %(account)s") % {"account": churn.account.name},
    )
    churn.winback_offer = offer
    churn.save(update_fields=["winback_offer"])
    return offer


def account_won_back(*, account: Account, offer: Offer, actor=None) -> int:
    """Mark a lost account won back when one of its offers is accepted."""
    churns = Churn.objects.select_for_update().filter(
        account=account, won_back_on__isnull=True
    )
    today = timezone.localdate()
    updated = 0
    for churn in churns:
        churn.won_back_on = today
        churn.winback_offer = churn.winback_offer or offer
        churn.save(update_fields=["won_back_on", "winback_offer"])
        updated += 1
    if updated:
        Account.objects.filter(pk=account.pk, lifecycle=Account.Lifecycle.LOST).update(
            lifecycle=Account.Lifecycle.WON_BACK, updated_at=timezone.now()
        )
        TimelineEntry.objects.create(
            account=account,
            kind=TimelineEntry.Kind.EVENT,
            title=Later(
                gettext_noop("Won back with offer %(offer)s"), offer=offer.label
            ),
            actor=actor,
        )
    return updated
