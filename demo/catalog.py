"""Demo catalog: a publisher and information-services vendor (seed_demo)."""

from decimal import Decimal

from catalog import services
from catalog.models import ExchangeRate, Package, Product, ProductFamily, ProductPrice

FAMILIES = [
    ("print", "Print subscriptions"),
    ("digital", "Digital subscriptions"),
    ("seats", "User seats and licences"),
    ("archives", "Archives and databases"),
    ("services", "Services"),
    ("training", "Training"),
]
# code, name, family, kind, billing period, unit, EUR list price, tax rate
PRODUCTS = [
    (
        "PRINT-DAILY",
        "Daily newspaper, print",
        "print",
        "subscription",
        "yearly",
        "copy",
        "480.00",
        "7",
    ),
    (
        "PRINT-WEEKLY",
        "Business weekly, print",
        "print",
        "subscription",
        "yearly",
        "copy",
        "220.00",
        "7",
    ),
    (
        "DIGI-BASIC",
        "Digital news, basic",
        "digital",
        "subscription",
        "monthly",
        "user",
        "19.90",
        "19",
    ),
    (
        "DIGI-PRO",
        "Digital news, professional",
        "digital",
        "subscription",
        "monthly",
        "user",
        "49.00",
        "19",
    ),
    (
        "SEAT-ENT",
        "Enterprise user seat",
        "seats",
        "subscription",
        "yearly",
        "seat",
        "360.00",
        "19",
    ),
    (
        "SEAT-API",
        "Data API access",
        "seats",
        "subscription",
        "yearly",
        "licence",
        "4800.00",
        "19",
    ),
    (
        "ARCH-FULL",
        "Full-text archive",
        "archives",
        "subscription",
        "yearly",
        "licence",
        "2400.00",
        "19",
    ),
    (
        "ARCH-DB",
        "Company database",
        "archives",
        "subscription",
        "quarterly",
        "licence",
        "1500.00",
        "19",
    ),
    (
        "SRV-ONBOARD",
        "Onboarding package",
        "services",
        "service",
        "",
        "package",
        "1500.00",
        "19",
    ),
    (
        "SRV-INTEG",
        "Integration project",
        "services",
        "service",
        "",
        "day",
        "1200.00",
        "19",
    ),
    (
        "TRN-WEB",
        "Webinar training",
        "training",
        "one_off",
        "",
        "participant",
        "350.00",
        "19",
    ),
    (
        "TRN-ONSITE",
        "On-site training day",
        "training",
        "one_off",
        "",
        "day",
        "2200.00",
        "19",
    ),
]
RATES = {"CHF": Decimal("1.06"), "GBP": Decimal("1.17"), "USD": Decimal("0.92")}
# Local list prices relative to EUR (rounded to whole units below).
LOCAL_FACTOR = {"CHF": Decimal("1.00"), "GBP": Decimal("0.86")}
PACKAGES = [
    (
        "PKG-NEWSROOM",
        "Newsroom Starter",
        "Ten professional readers, set up for you.",
        "fixed",
        Decimal("7900.00"),
        None,
        [("DIGI-PRO", 10), ("SEAT-ENT", 10), ("SRV-ONBOARD", 1)],
    ),
    (
        "PKG-INTEL",
        "Enterprise Intelligence",
        "Seats, archive, company data and API for analysts.",
        "discount",
        None,
        Decimal("15"),
        [("SEAT-ENT", 50), ("ARCH-FULL", 1), ("ARCH-DB", 1), ("SEAT-API", 1)],
    ),
    (
        "PKG-BUNDLE",
        "Print & Digital Bundle",
        "Print copies with digital access for every reader.",
        "discount",
        None,
        Decimal("10"),
        [("PRINT-DAILY", 5), ("DIGI-PRO", 5)],
    ),
]


# the units as e-invoices name them (UN/ECE Recommendation 20)
UNIT_CODES = {"licence": "C62", "copy": "C62", "user": "IE", "day": "DAY",
              "seat": "C62", "package": "LS", "participant": "IE"}  # fmt: skip


def seed(ctx) -> None:
    for currency, rate in RATES.items():
        ExchangeRate.objects.update_or_create(
            currency=currency, defaults={"rate_to_base": rate}
        )
    families = {
        code: ProductFamily.objects.update_or_create(
            code=code, defaults={"name": name}
        )[0]
        for code, name in FAMILIES
    }
    products = {}
    for code, name, family, kind, period, unit, price, tax in PRODUCTS:
        product, _ = Product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "family": families[family],
                "kind": kind,
                "billing_period": period,
                "unit": unit,
                "unit_code": UNIT_CODES[unit],
                "tax_rate": Decimal(tax),
            },
        )
        products[code] = product
        ProductPrice.objects.update_or_create(
            product=product, currency="EUR", defaults={"list_price": Decimal(price)}
        )
        for currency, factor in LOCAL_FACTOR.items():
            local = (Decimal(price) * factor).quantize(Decimal("1"))
            ProductPrice.objects.update_or_create(
                product=product, currency=currency, defaults={"list_price": local}
            )
    for code, name, description, mode, price, discount, items in PACKAGES:
        package, _ = Package.objects.update_or_create(
            code=code, defaults={"name": name, "description": description}
        )
        if not package.versions.exists():
            services.package_version_create(
                package=package,
                currency="EUR",
                price_mode=mode,
                package_price=price,
                discount_percent=discount,
                items=[(products[c], Decimal(q)) for c, q in items],
            )
    ctx.products = products
