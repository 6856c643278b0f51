from decimal import Decimal

import pytest

from catalog import services
from catalog.admin import PackageVersionAdmin
from catalog.models import Package, PackageVersion
from core.exceptions import ApplicationError
from tests.factories import PriceFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    seat = ProductFactory(code="SEAT")
    archive = ProductFactory(code="ARCH")
    PriceFactory(product=seat, list_price=Decimal("360.00"))
    PriceFactory(product=archive, list_price=Decimal("2400.00"))
    return seat, archive


def test_versions_are_numbered_and_priced(products):
    seat, archive = products
    package = Package.objects.create(code="PKG", name="Intel")
    v1 = services.package_version_create(
        package=package,
        currency="EUR",
        price_mode="discount",
        discount_percent=Decimal("15"),
        items=[(seat, Decimal("50")), (archive, Decimal("1"))],
    )
    v2 = services.package_version_create(
        package=package,
        currency="EUR",
        price_mode="fixed",
        package_price=Decimal("19000.00"),
        items=[(seat, Decimal("50"))],
    )
    # 50 × 360 + 2400 = 20,400; less 15 % = 17,340.00
    v1 = PackageVersion.objects.prefetch_related("items__product__prices").get(pk=v1.pk)
    assert (v1.number, v2.number) == (1, 2)
    assert v1.list_total() == Decimal("20400.00")
    assert v1.net_price() == Decimal("17340.00")
    assert v2.net_price() == Decimal("19000.00")
    assert package.current_version == v2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"price_mode": "fixed", "package_price": None}, "fixed-price package"),
        (
            {"price_mode": "discount", "discount_percent": Decimal("120")},
            "between 0 and 100",
        ),
        (
            {"price_mode": "discount", "discount_percent": Decimal("5"), "items": []},
            "at least one",
        ),
    ],
)
def test_bad_package_input_saves_nothing(products, kwargs, message):
    package = Package.objects.create(code="PKG", name="Intel")
    data = {"package": package, "currency": "EUR", "items": [(products[0], Decimal(1))]}
    with pytest.raises(ApplicationError, match=message):
        services.package_version_create(**(data | kwargs))
    assert not PackageVersion.objects.exists()


def test_a_locked_version_never_changes_in_place(products, rf, cast):
    package = Package.objects.create(code="PKG", name="Intel")
    version = services.package_version_create(
        package=package,
        currency="EUR",
        price_mode="fixed",
        package_price=Decimal("100"),
        items=[(products[0], Decimal(2))],
    )
    services.package_version_lock(version=version)
    locked_at = PackageVersion.objects.get(pk=version.pk).locked_at
    services.package_version_lock(version=version)  # idempotent
    version.refresh_from_db()
    assert version.locked_at == locked_at
    request = rf.get("/")
    request.user = cast.admin
    cast.admin.is_superuser = True
    admin = PackageVersionAdmin(PackageVersion, None)
    assert admin.has_change_permission(request, version) is False
    assert admin.has_delete_permission(request, version) is False
    copy = services.package_version_copy(version=version)
    assert copy.number == 2
    assert copy.locked_at is None
    assert [(i.product_id, i.quantity) for i in copy.items.all()] == [
        (products[0].pk, 2)
    ]
