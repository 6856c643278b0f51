"""Domain events that apps above offers react to with side effects only (a lost
account won back). The core flow never hides here: accepting an offer makes its
contract in contracts.services.acceptance, in plain sight."""

from django.dispatch import Signal

# sent inside the accepting transaction, once per offer: offer=, actor=
offer_accepted = Signal()
