"""Outbox events the apps above react to (the core app imports none of them)."""

from django.dispatch import Signal

# sent inside the transaction that records the outcome: message=
message_sent = Signal()
message_failed = Signal()  # for good: the provider refused it or retries ran out
