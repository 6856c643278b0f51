"""Reads of the catalog."""

from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from catalog.models import (
    ExchangeRate,
    Package,
    PackageItem,
    PackageVersion,
    Product,
    ProductPrice,
)
from catalog.pricing import round_money
from core.memo import per_request

BASE_CURRENCY = "EUR"


def exchange_rates() -> dict[str, Decimal]:
    """Return {currency: rate to EUR}; EUR is always 1. Read once per request."""
    return dict(_stored_rates())


@per_request
def _stored_rates() -> dict[str, Decimal]:
    rates = dict(ExchangeRate.objects.values_list("currency", "rate_to_base"))
    rates[BASE_CURRENCY] = Decimal("1")
    return rates


def to_base(amount: Decimal, currency: str, rates: dict[str, Decimal]) -> Decimal:
    """Convert an amount to EUR; an unknown currency counts as 1:1 only for EUR."""
    return round_money(amount * rates.get(currency, Decimal("1")))


def sale_prices(products, currency: str | None = None) -> dict[tuple, Decimal]:
    """{(product id, currency): list price} of the given products still for sale
    (active, with a price); `products` is ids or an id subquery."""
    prices = ProductPrice.objects.filter(product__in=products, product__is_active=True)
    if currency:
        prices = prices.filter(currency=currency)
    return {
        (product_id, cur): price
        for product_id, cur, price in prices.values_list(
            "product_id", "currency", "list_price"
        )
    }


def product_list(*, active_only: bool = True) -> QuerySet[Product]:
    qs = Product.objects.select_related("family").prefetch_related("prices")
    return qs.filter(is_active=True) if active_only else qs


def package_list() -> QuerySet[Package]:
    """Packages with their versions, items, products and prices (no N+1)."""
    items = PackageItem.objects.select_related("product").prefetch_related(
        "product__prices"
    )
    versions = PackageVersion.objects.prefetch_related(
        Prefetch("items", queryset=items)
    )
    return Package.objects.prefetch_related(Prefetch("versions", queryset=versions))
