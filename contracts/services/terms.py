"""A contract's dates: the end of a term, the cancel-by date, the next term."""

from datetime import date, timedelta

from contracts.models import Contract
from core.dates import period_end


def term_end(start_on: date, months: int) -> date:
    """The last day of a term (the one date rule: `core.dates`)."""
    return period_end(start_on, months)


def cancel_by_date(*, end_on: date, notice_days: int, auto_renew: bool) -> date | None:
    """The last day a cancellation stops the next renewal (standing orders only)."""
    if not auto_renew:
        return None
    return end_on - timedelta(days=notice_days)


def next_term_end(contract: Contract) -> date:
    """The end of the term a renewal would add."""
    return term_end(contract.end_on + timedelta(days=1), contract.renewal_months)
