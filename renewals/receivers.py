"""A lost account whose offer is accepted again is won back."""

from django.dispatch import receiver

from offers.signals import offer_accepted
from renewals.services import churn


@receiver(offer_accepted, dispatch_uid="kam-renewals-win-back")
def on_offer_accepted(sender, offer, actor=None, **kwargs):
    churn.account_won_back(account=offer.account, offer=offer, actor=actor)
