"""Accepting an offer makes its contract: the use case that knows both sides.

`offers.services.offer_accept` records the customer's answer on the offer, and only
that (offers sit below contracts and cannot make one). This service records the
answer and makes the contract from it in the same transaction, so reading it shows
the whole step. Every way to accept comes through here: the customer's page, a KAM
recording an acceptance given by phone, the demo. What merely reacts to an
acceptance (a lost account won back) still listens to `offers.signals.offer_accepted`.
"""

from django.db import transaction

from contracts.models import Contract
from contracts.services import lifecycle
from offers.models import Offer, OfferOption
from offers.services import answers as offer_answers


@transaction.atomic
def offer_accept(
    *,
    offer: Offer,
    option: OfferOption,
    name: str,
    title: str = "",
    ip: str | None = None,
    user_agent: str = "",
    channel: str = "web",
    actor=None,
) -> Contract:
    """Record the acceptance of one option and make the contract (each once)."""
    offer = offer_answers.offer_accept(
        offer=offer, option=option, name=name, title=title, ip=ip,
        user_agent=user_agent, channel=channel, actor=actor,
    )  # fmt: skip
    return lifecycle.contract_create_from_offer(offer=offer, actor=actor)
