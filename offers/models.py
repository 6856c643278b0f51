from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, Document
from catalog.models import BillingPeriod, PackageVersion, Product
from kam.core.access import AccessPaths
from kam.core.links import object_url
from kam.core.models import OutboundMessage, TimeStampedModel

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def round_money(value: Decimal) -> Decimal:
    """The one rounding rule: half up to cents, per line; totals are sums of lines."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal):
    """A line's net after its discount, rounded per line (offers and contracts)."""
    return round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)


class Offer(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Superseded by a revision")

    TRANSITIONS = {
        Status.DRAFT: {Status.PENDING_APPROVAL, Status.SENT},
        Status.PENDING_APPROVAL: {Status.APPROVED, Status.REJECTED, Status.DRAFT},
        Status.APPROVED: {Status.SENT, Status.DRAFT},
        Status.REJECTED: {Status.DRAFT},
        Status.SENT: {
            Status.ACCEPTED,
            Status.DECLINED,
            Status.EXPIRED,
            Status.SUPERSEDED,
        },
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
        Status.EXPIRED: set(),
        Status.SUPERSEDED: set(),
    }
    EDITABLE = {Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.REJECTED}
    OPEN = {
        Status.DRAFT,
        Status.PENDING_APPROVAL,
        Status.APPROVED,
        Status.REJECTED,
        Status.SENT,
    }

    class Language(models.TextChoices):
        EN = "en", _("English")
        DE = "de", _("German")

    class Delivery(models.TextChoices):
        NONE = "", "—"
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        OPENED = "opened", _("Opened")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Not delivered")

    number = models.CharField(_("number"), max_length=20)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_revision",
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="offers"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="offers",
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    currency = models.CharField(_("currency"), max_length=3)
    valid_until = models.DateField(_("valid until"))
    # proposed contract terms
    start_on = models.DateField(_("contract start"))
    duration_months = models.PositiveSmallIntegerField(
        _("duration (months)"), default=12
    )
    billing_period = models.CharField(
        _("billing period"),
        max_length=20,
        choices=BillingPeriod.choices,
        default=BillingPeriod.YEARLY,
    )
    auto_renew = models.BooleanField(
        _("standing order (renews automatically)"), default=True
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notice period (days)"), default=90
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # approval
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    approval_reasons = models.JSONField(default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_comment = models.TextField(blank=True)
    # sending
    sent_at = models.DateTimeField(null=True, blank=True)
    document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    message = models.ForeignKey(
        OutboundMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    delivery = models.CharField(
        _("email status"),
        max_length=10,
        choices=Delivery.choices,
        blank=True,
        default="",
    )
    # answer
    accepted_option = models.ForeignKey(
        "OfferOption", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_channel = models.CharField(max_length=10, blank=True)  # web / phone
    signer_name = models.CharField(max_length=200, blank=True)
    signer_title = models.CharField(max_length=200, blank=True)
    signer_ip = models.GenericIPAddressField(null=True, blank=True)
    signer_user_agent = models.CharField(max_length=500, blank=True)
    decline_reason = models.TextField(blank=True)
    validity_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(
                fields=["number", "revision"], name="offer_number_revision"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "draft",
                        "pending_approval",
                        "approved",
                        "rejected",
                        "sent",
                        "accepted",
                        "declined",
                        "expired",
                        "superseded",
                    ]
                ),
                name="offer_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="accepted")
                | models.Q(accepted_option__isnull=False),
                name="accepted_offer_has_option",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_months__gte=1),
                name="offer_duration_positive",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "valid_until"], name="offer_status_valid_idx"
            ),
            models.Index(fields=["account", "-created_at"], name="offer_account_idx"),
        ]

    def __str__(self):
        return f"{self.number}-{self.revision} {self.title}"

    def get_absolute_url(self):
        return object_url("offers:detail", self.pk)

    @property
    def label(self) -> str:
        return f"{self.number}" + (
            f" rev. {self.revision}" if self.revision > 1 else ""
        )

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_expired_by_date(self) -> bool:
        return self.valid_until < timezone.localdate()


class OfferOption(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(_("option name"), max_length=100)
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self):
        return self.name

    def totals(self) -> dict:
        """Net, tax and gross: each line rounded first, then summed."""
        net = tax = list_total = Decimal("0")
        for line in self.lines.all():
            net += line.net
            tax += line.tax
            list_total += line.list_net
        return {
            "list": list_total,
            "discount": list_total - net,
            "net": net,
            "tax": tax,
            "gross": net + tax,
            "discount_percent": (
                ((list_total - net) / list_total * HUNDRED).quantize(Decimal("0.1"))
                if list_total
                else Decimal("0")
            ),
        }


class PricedLine(models.Model):
    """A priced line of an offer or a contract: quantity × unit price − discount."""

    description = models.CharField(_("description"), max_length=250)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    tax_rate = models.DecimalField(_("tax rate %"), max_digits=5, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        abstract = True

    def __str__(self):
        return self.description

    @property
    def list_net(self) -> Decimal:
        return round_money(self.quantity * self.unit_price)

    @property
    def net(self) -> Decimal:
        """Net per price-list period, rounded per line."""
        return line_net(self.quantity, self.unit_price, self.discount_percent)

    @property
    def tax(self) -> Decimal:
        return round_money(self.net * self.tax_rate / HUNDRED)


class OfferLine(PricedLine):
    option = models.ForeignKey(
        OfferOption, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    package_version = models.ForeignKey(
        PackageVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("offer line")
        verbose_name_plural = _("offer lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="offer_line_qty_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0),
                name="offer_line_price_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="offer_line_discount_range",
            ),
        ]


class OfferEvent(models.Model):
    """One status change of an offer (who, when, from, to, why)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.offer_id}: {self.from_status} → {self.to_status}"

    @property
    def to_label(self) -> str:
        return Offer.Status(self.to_status).label

    @property
    def from_label(self) -> str:
        return Offer.Status(self.from_status).label if self.from_status else ""


class ApprovalRule(models.Model):
    class Kind(models.TextChoices):
        LINE_DISCOUNT = "line_discount", _("A line discount above … %")
        OVERALL_DISCOUNT = (
            "overall_discount",
            _("An option's overall discount above … %"),
        )
        TOTAL = "total", _("An option's net total above … (EUR)")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("rule"), max_length=20, choices=Kind.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "threshold"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=0),
                name="approval_threshold_not_negative",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.threshold}"


class OfferTemplate(TimeStampedModel):
    """Administrator-editable texts with {{ placeholders }}, per kind and language."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Offer email")
        DOCUMENT = "document", _("Offer document (intro and closing)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    language = models.CharField(
        _("language"), max_length=2, choices=Offer.Language.choices
    )
    subject = models.CharField(_("subject / heading"), max_length=200)
    body = models.TextField(_("text"))
    closing = models.TextField(_("closing text"), blank=True)

    class Meta:
        ordering = ["kind", "language"]
        verbose_name = _("offer template")
        verbose_name_plural = _("offer templates")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language"], name="one_template_per_kind_language"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language})"


class TrackingEvent(models.Model):
    """An email provider's tracking event, stored once (webhooks may repeat)."""

    event_id = models.CharField(max_length=200, unique=True)
    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="+"
    )
    event_type = models.CharField(max_length=30)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at"]

    def __str__(self):
        return f"{self.event_type} {self.message_id}"
