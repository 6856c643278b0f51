"""Report fixtures written straight to the tables, so every number is hand-checkable."""

from datetime import date
from decimal import Decimal
from itertools import count

from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Contract, ContractLine, ContractTerm, Subscription
from tests.factories import ContactFactory, FamilyFactory, PriceFactory, ProductFactory

_numbers = count(1)


def family_product(code: str, price="100.00"):
    """A family with one subscription product of the same code, priced in EUR."""
    family = FamilyFactory(code=code.lower(), name=code.title())
    product = ProductFactory(
        code=code, name=f"{code.title()} seat", family=family,
        kind="subscription", billing_period="yearly", unit="seat",
    )  # fmt: skip
    PriceFactory(product=product, list_price=Decimal(price))
    return family, product


def contract(
    account,
    *,
    start=date(2026, 1, 1),
    end=date(2026, 12, 31),
    status=Contract.Status.ACTIVE,
    auto_renew=True,
    currency="EUR",
    arr=None,
) -> Contract:
    contact = account.contacts.first() or ContactFactory(account=account)
    made = Contract.objects.create(
        number=f"CT-T-{next(_numbers):05d}",
        account=account,
        contact=contact,
        title="Test contract",
        status=status,
        currency=currency,
        start_on=start,
        end_on=end,
        duration_months=12,
        billing_period="yearly",
        auto_renew=auto_renew,
        notice_days=90,
    )
    if arr is not None:
        ContractTerm.objects.create(
            contract=made, sequence=1, kind="initial", start_on=start, end_on=end,
            arr=Decimal(arr),
        )  # fmt: skip
    return made


def subscribe(
    account,
    product,
    *,
    mrr="100.00",
    quantity=1,
    status=Subscription.Status.ACTIVE,
    trial_ends_on=None,
    on=None,
    **contract_kwargs,
) -> Subscription:
    """One subscription (with its contract and line) of `quantity` at `mrr` a month."""
    on = on or contract(account, **contract_kwargs)
    mrr = Decimal(mrr)
    line = ContractLine.objects.create(
        contract=on, product=product, description=product.name,
        quantity=Decimal(quantity), unit_price=mrr * 12 / Decimal(quantity),
        price_unit="yearly", tax_rate=Decimal("19.00"),
    )  # fmt: skip
    return Subscription.objects.create(
        contract=on, contract_line=line, account=account, product=product,
        status=status, quantity=Decimal(quantity), currency=on.currency,
        billing_period="yearly", period_amount=mrr * 12, tax_rate=Decimal("19.00"),
        mrr=mrr, start_on=on.start_on, end_on=on.end_on,
        trial_ends_on=trial_ends_on,
    )  # fmt: skip


def page_queries(client, url: str) -> int:
    """SQL queries of one GET of `url` (which must answer 200)."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)
