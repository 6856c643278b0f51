"""Trial reminders: the KAM and the customer are told before a trial ends."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.services import todos
from contracts.models import Contract, Subscription
from contracts.services.common import JOINED
from core import services as core_services
from core import state
from core.dates import show_date


def trial_reminders(*, today: date | None = None) -> int:
    """Remind the KAM and the customer before a trial ends (once per contract)."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.KAM_TRIAL_REMINDER_DAYS)
    due = (
        Contract.objects.filter(
            subscriptions__status=Subscription.Status.TRIAL,
            subscriptions__trial_ends_on__lte=horizon,
            subscriptions__trial_ends_on__gte=today,
            subscriptions__trial_reminder_sent_at__isnull=True,
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(due):
        sent += _trial_remind(pk)
    return sent


@transaction.atomic
def _trial_remind(contract_pk: int) -> int:
    contract = state.lock(Contract(pk=contract_pk), *JOINED)
    trials = list(
        contract.subscriptions.select_for_update().filter(
            status=Subscription.Status.TRIAL, trial_reminder_sent_at__isnull=True
        )
    )
    if not trials:
        return 0
    ends_on = min(s.trial_ends_on for s in trials)
    owner = contract.account.owner
    core_services.notification_create(
        user=owner,
        title=_("Trial ends %(date)s: %(account)s")
        % {"date": show_date(ends_on), "account": contract.account.name},
        url=contract.get_absolute_url(),
        dedupe_key=f"trial:{contract.pk}",
    )
    todos.task_create(
        title=_("Trial of %(number)s ends %(date)s: talk about conversion")
        % {"number": contract.number, "date": show_date(ends_on)},
        due_at=timezone.now(),
        assignee=owner,
        account=contract.account,
        actor=None,
        related=contract,
    )
    if contract.contact.email and not contract.contact.do_not_contact:
        with translation.override(contract.language):
            core_services.message_queue(
                to=[contract.contact.email],
                subject=_("Your trial ends on %(date)s") % {"date": ends_on},
                body_text=render_to_string(
                    "emails/contracts/trial_ending.txt",
                    {"contract": contract, "ends_on": ends_on, "kam": owner},
                ),
                reply_to=[owner.email] if owner.email else [],
                related=contract,
            )
    now = timezone.now()
    for subscription in trials:
        subscription.trial_reminder_sent_at = now
        subscription.save(update_fields=["trial_reminder_sent_at", "updated_at"])
    return 1
