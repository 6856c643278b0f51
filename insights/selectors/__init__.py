from decimal import Decimal


def percent(part, whole) -> Decimal | None:
    """`part` as a percentage of `whole`, to one decimal (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * 100).quantize(Decimal("0.1"))
