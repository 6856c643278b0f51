"""Domain events other apps react to (contracts sit above offers and cannot be
imported here; they connect to these instead)."""

from django.dispatch import Signal

# sent inside the accepting transaction, once per offer: offer=, actor=
offer_accepted = Signal()
