from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Package
from catalog.services import package_version_create
from offers.services import building as offer_building
from tests.factories import AccountFactory, ContactFactory, PriceFactory, ProductFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def products():
    seat = ProductFactory(code="SEAT", name="Enterprise seat", tax_rate=Decimal("19"))
    archive = ProductFactory(
        code="ARCH", name="Full-text archive", tax_rate=Decimal("19")
    )
    print_ = ProductFactory(code="PRINT", name="Daily print", tax_rate=Decimal("7"))
    PriceFactory(product=seat, list_price=Decimal("360.00"))
    PriceFactory(product=archive, list_price=Decimal("2400.00"))
    PriceFactory(product=print_, list_price=Decimal("480.00"))
    return {"seat": seat, "archive": archive, "print": print_}


@pytest.fixture
def package(products):
    package = Package.objects.create(code="PKG-INTEL", name="Intelligence")
    return package_version_create(
        package=package,
        currency="EUR",
        price_mode="discount",
        discount_percent=Decimal("10"),
        items=[(products["seat"], Decimal("10")), (products["archive"], Decimal("1"))],
    )


@pytest.fixture
def offer(cast, products):
    account = AccountFactory(
        owner=cast.kam, name="Nordlicht Media", legal_name="Nordlicht Media GmbH"
    )
    contact = ContactFactory(
        account=account,
        first_name="Vera",
        last_name="Meier",
        email="vera@nordlicht.example",
    )
    offer = offer_building.offer_create(
        account=account,
        contact=contact,
        actor=cast.kam,
        title="Research archive",
        valid_until=timezone.localdate() + timedelta(days=30),
        option_names=["Standard", "Premium"],
    )
    standard, premium = offer.options.all()
    offer_building.line_add(
        option=standard,
        actor=cast.kam,
        product=products["seat"],
        quantity=Decimal("10"),
    )
    offer_building.line_add(
        option=premium, actor=cast.kam, product=products["seat"], quantity=Decimal("20")
    )
    offer_building.line_add(
        option=premium,
        actor=cast.kam,
        product=products["archive"],
        quantity=Decimal("1"),
    )
    return offer
