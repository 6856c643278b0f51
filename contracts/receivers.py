"""An accepted offer becomes a contract in the same transaction.

Offers cannot import contracts (imports point one way), so offers announce the
acceptance with a signal and this thin receiver calls the one service.
"""

from django.dispatch import receiver

from contracts.services import contracts
from offers.signals import offer_accepted


@receiver(offer_accepted, dispatch_uid="kam-contracts-from-offer")
def on_offer_accepted(sender, offer, actor=None, **kwargs):
    contracts.contract_create_from_offer(offer=offer, actor=actor)
