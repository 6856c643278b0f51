"""Writes of the catalog: package versions (frozen once used)."""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Package, PackageItem, PackageVersion, Product
from core.exceptions import ApplicationError


def _check_pricing(price_mode, package_price, discount_percent):
    if price_mode == PackageVersion.PriceMode.FIXED:
        if package_price is None or package_price < 0 or discount_percent is not None:
            raise ApplicationError(
                _("A fixed-price package needs a price of 0 or more.")
            )
    elif price_mode == PackageVersion.PriceMode.DISCOUNT:
        if discount_percent is None or not (0 <= discount_percent <= 100):
            raise ApplicationError(_("A package discount must be between 0 and 100 %."))
        if package_price is not None:
            raise ApplicationError(_("A discounted package has no fixed price."))
    else:
        raise ApplicationError(_("Unknown price mode."))


@transaction.atomic
def package_version_create(
    *,
    package: Package,
    currency: str,
    price_mode: str,
    items: Sequence[tuple[Product, Decimal]],
    package_price: Decimal | None = None,
    discount_percent: Decimal | None = None,
) -> PackageVersion:
    """Add a new version to a package (the next number)."""
    _check_pricing(price_mode, package_price, discount_percent)
    if not items:
        raise ApplicationError(_("A package needs at least one product."))
    if len({p.pk for p, _q in items}) != len(items):
        raise ApplicationError(_("Each product may appear once in a package."))
    if any(q <= 0 for _p, q in items):
        raise ApplicationError(_("Quantities must be greater than zero."))
    Package.objects.select_for_update().get(pk=package.pk)
    number = (package.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PackageVersion.objects.create(
        package=package,
        number=number,
        currency=currency,
        price_mode=price_mode,
        package_price=package_price,
        discount_percent=discount_percent,
    )
    PackageItem.objects.bulk_create(
        PackageItem(version=version, product=p, quantity=q) for p, q in items
    )
    return version


@transaction.atomic
def package_version_lock(*, version: PackageVersion) -> PackageVersion:
    """Freeze a version because an offer or contract uses it (idempotent)."""
    version = PackageVersion.objects.select_for_update().get(pk=version.pk)
    if version.locked_at is None:
        version.locked_at = timezone.now()
        version.save(update_fields=["locked_at", "updated_at"])
    return version


@transaction.atomic
def package_version_copy(*, version: PackageVersion) -> PackageVersion:
    """Start a new, editable version with the content of `version`."""
    items = [(i.product, i.quantity) for i in version.items.select_related("product")]
    return package_version_create(
        package=version.package,
        currency=version.currency,
        price_mode=version.price_mode,
        items=items,
        package_price=version.package_price,
        discount_percent=version.discount_percent,
    )
