"""What the contract writes share: the row's joins, telling customer services,
the account's timeline."""

from django.urls import reverse

from accounts.models import TimelineEntry
from contracts.models import Contract
from core import services as core_services
from core.links import absolute_url
from core.roles import Role

# what a change to a contract reads with it (only the contract's row is locked)
JOINED = ("account", "account__owner", "contact")


def customer_services():
    from core.models import User

    return list(
        User.objects.filter(
            is_active=True, groups__name=Role.CUSTOMER_SERVICES
        ).distinct()
    )


def notify_customer_services(contract: Contract, title: str, body: str = "") -> None:
    """Bell notification and one email to customer services (after commit)."""
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    people = customer_services()
    core_services.notifications_create(
        users=people,
        title=title,
        body=body,
        url=url,
        dedupe_key=f"contract:{contract.pk}:{title}"[:100],
    )
    addresses = [u.email for u in people if u.email]
    if addresses:
        core_services.message_queue(
            to=addresses,
            subject=title,
            body_text=f"{body}\n\n{absolute_url(url)}\n",
            related=contract,
        )


def timeline_event(contract: Contract, title, summary="", actor=None):
    """An event on the account's timeline; `title` and `summary` may be `Later`s."""
    TimelineEntry.objects.create(
        account=contract.account,
        kind=TimelineEntry.Kind.EVENT,
        title=title,
        summary=summary,
        actor=actor,
    )
