from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog import pricing
from catalog.pricing import HUNDRED, PriceUnit, line_net, round_money
from core.models import TimeStampedModel


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    CHF = "CHF", "CHF"
    GBP = "GBP", "GBP"
    USD = "USD", "USD"


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class ExchangeRate(models.Model):
    """How many units of the base currency (EUR) one unit of `currency` is worth."""

    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, unique=True
    )
    rate_to_base = models.DecimalField(
        _("rate to EUR"),
        max_digits=12,
        decimal_places=6,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_to_base__gt=0), name="rate_positive"
            )
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate_to_base} EUR"


class UnitCode(models.TextChoices):
    """Units of measure for e-invoices (UN/ECE Recommendation 20, a selection)."""

    PIECE = "C62", _("one (piece, seat, licence)")
    MONTH = "MON", _("month")
    YEAR = "ANN", _("year")
    DAY = "DAY", _("day")
    HOUR = "HUR", _("hour")
    LUMP_SUM = "LS", _("lump sum")
    USER = "IE", _("person")


class ProductFamily(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product family")
        verbose_name_plural = _("product families")

    def __str__(self):
        return self.name


class Product(TimeStampedModel):
    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Subscription")
        ONE_OFF = "one_off", _("One-off")
        SERVICE = "service", _("Service")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    family = models.ForeignKey(
        ProductFamily,
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    billing_period = models.CharField(
        _("billing period"), max_length=20, choices=BillingPeriod.choices, blank=True
    )
    unit = models.CharField(_("unit"), max_length=40, default="piece")
    unit_code = models.CharField(
        _("unit code"),
        max_length=3,
        choices=UnitCode.choices,
        default=UnitCode.PIECE,
        help_text=_("The unit on e-invoices (UN/ECE Recommendation 20)."),
    )
    tax_rate = models.DecimalField(
        _("tax rate %"), max_digits=5, decimal_places=2, default=Decimal("19.00")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["family__name", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="subscription",
                        billing_period__in=["monthly", "quarterly", "yearly"],
                    )
                    | (~models.Q(kind="subscription") & models.Q(billing_period=""))
                ),
                name="product_billing_period_iff_subscription",
                violation_error_message=_(
                    "Subscriptions need a billing period; other products have none."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0, tax_rate__lte=100),
                name="product_tax_rate_range",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class ProductPrice(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="prices"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    list_price = models.DecimalField(_("list price"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["currency"]
        verbose_name = _("list price")
        verbose_name_plural = _("list prices")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "currency"], name="one_price_per_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(list_price__gte=0), name="price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.list_price} {self.currency}"


class Package(TimeStampedModel):
    """A named bundle of products at a deal price; its contents live in versions."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("package")
        verbose_name_plural = _("packages")

    def __str__(self):
        return self.name

    @property
    def current_version(self):
        versions = getattr(self, "_prefetched_objects_cache", {}).get("versions")
        if versions is not None:
            return max(versions, key=lambda v: v.number, default=None)
        return self.versions.order_by("-number").first()


class PackageVersion(TimeStampedModel):
    """One frozen content of a package; locked once an offer or contract used it."""

    class PriceMode(models.TextChoices):
        FIXED = "fixed", _("Fixed package price")
        DISCOUNT = "discount", _("Discount on list prices")

    package = models.ForeignKey(
        Package, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    price_mode = models.CharField(
        _("price mode"), max_length=10, choices=PriceMode.choices
    )
    package_price = models.DecimalField(
        _("package price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)

    class Meta:
        ordering = ["package", "-number"]
        verbose_name = _("package version")
        verbose_name_plural = _("package versions")
        constraints = [
            models.UniqueConstraint(
                fields=["package", "number"], name="package_version_unique"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        price_mode="fixed",
                        package_price__gte=0,
                        discount_percent__isnull=True,
                    )
                    | models.Q(
                        price_mode="discount",
                        package_price__isnull=True,
                        discount_percent__gte=0,
                        discount_percent__lte=100,
                    )
                ),
                name="package_price_xor_discount",
            ),
        ]

    def __str__(self):
        return f"{self.package.name} v{self.number}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def list_total(self) -> Decimal:
        """Sum of list prices × quantities in the version's currency."""
        total = Decimal("0")
        for item in self.items.all():
            price = next(
                (
                    p.list_price
                    for p in item.product.prices.all()
                    if p.currency == self.currency
                ),
                None,
            )
            if price is None:
                return None
            total += round_money(price * item.quantity)
        return total

    def net_price(self) -> Decimal | None:
        if self.price_mode == self.PriceMode.FIXED:
            return self.package_price
        total = self.list_total()
        if total is None:
            return None
        return round_money(total * (HUNDRED - self.discount_percent) / HUNDRED)


class PackageItem(models.Model):
    version = models.ForeignKey(
        PackageVersion, on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("package item")
        verbose_name_plural = _("package items")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "product"], name="package_item_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="item_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product}"


class PricedLine(models.Model):
    """A priced line of an offer or a contract: quantity × unit price − discount."""

    description = models.CharField(_("description"), max_length=250)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    price_unit = models.CharField(
        _("price per"), max_length=10, choices=PriceUnit.choices
    )
    tax_rate = models.DecimalField(_("tax rate %"), max_digits=5, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=1)
    # the catalog's price in the offer's currency when the line was added: what a
    # discount is measured against, whether given as a discount or a lower price
    list_price = models.DecimalField(
        _("list price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    price_reason = models.CharField(
        _("reason for the price"), max_length=200, blank=True
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.description

    @property
    def reference_price(self) -> Decimal:
        """The price a discount is measured against (the list price)."""
        return self.unit_price if self.list_price is None else self.list_price

    @property
    def list_net(self) -> Decimal:
        return round_money(self.quantity * self.reference_price)

    @property
    def is_manual_price(self) -> bool:
        return self.list_price is not None and self.unit_price != self.list_price

    @property
    def effective_discount(self) -> Decimal:
        """How far the line's net is below its list value, in percent: a lower
        unit price counts as much as a discount (0 % when above the list)."""
        return pricing.effective_discount(self.net, self.list_net)

    @property
    def net(self) -> Decimal:
        """Net per price unit (a month, a quarter, a year, or once), rounded."""
        return line_net(self.quantity, self.unit_price, self.discount_percent)

    @property
    def is_recurring(self) -> bool:
        return pricing.is_recurring(self.price_unit)

    @property
    def tax(self) -> Decimal:
        return round_money(self.net * self.tax_rate / HUNDRED)
