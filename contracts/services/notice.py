"""The customer's notice on a standing order, before its cancel-by date."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from contracts.models import Contract, ContractEvent
from contracts.services.common import JOINED, timeline_event
from contracts.services.terms import next_term_end
from core import services as core_services
from core import state
from core.dates import show_date
from core.exceptions import ApplicationError
from core.i18n import Later


@transaction.atomic
def contract_notice_receive(
    *, contract: Contract, actor, received_on: date, reason: str = ""
) -> Contract:
    """Record a customer's notice: a standing order stops renewing if it is in time.

    A notice received after the cancel-by date is refused with the date it could
    take effect (the end of the next term).
    """
    contract = state.lock(contract, *JOINED)
    if contract.notice_received_on:
        return contract
    if contract.status not in Contract.RUNNING or not contract.auto_renew:
        raise ApplicationError(
            _(
                "Only a running standing order can be given notice; this contract ends "
                "on %(date)s anyway."
            )
            % {"date": show_date(contract.end_on)}
        )
    if received_on > timezone.localdate():
        raise ApplicationError(
            _("The date of receipt lies in the future."),
            extra={"field": "received_on"},
        )
    if contract.cancel_by and received_on > contract.cancel_by:
        raise ApplicationError(
            _(
                "The notice came after the cancel-by date %(cancel_by)s: the contract "
                "renews on %(renews)s. Given now, the notice could take effect at "
                "the end of the next term, %(effective)s."
            )
            % {
                "cancel_by": show_date(contract.cancel_by),
                "renews": show_date(contract.end_on + timedelta(days=1)),
                "effective": show_date(next_term_end(contract)),
            },
            extra={"field": "received_on"},
        )
    contract.auto_renew = False
    contract.notice_received_on = received_on
    contract.notice_reason = reason.strip()
    contract.save(
        update_fields=[
            "auto_renew",
            "notice_received_on",
            "notice_reason",
            "updated_at",
        ]
    )
    comment = _("Customer gave notice on %(date)s: ends %(end)s, no renewal.") % {
        "date": show_date(received_on),
        "end": show_date(contract.end_on),
    }
    ContractEvent.objects.create(
        contract=contract,
        from_status=contract.status,
        to_status=contract.status,
        actor=actor,
        comment=f"{comment} {contract.notice_reason}".strip(),
    )
    timeline_event(
        contract,
        Later(gettext_noop("Notice received for %(number)s"), number=contract.number),
        comment,
        actor,
    )
    if actor != contract.account.owner:
        core_services.notification_create(
            user=contract.account.owner,
            title=_("Notice received: %(number)s, %(account)s")
            % {"number": contract.number, "account": contract.account.name},
            body=comment,
            url=contract.get_absolute_url(),
            dedupe_key=f"notice:{contract.pk}",
        )
    return contract
