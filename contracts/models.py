"""Contracts, the subscriptions they start and the invoices they bill."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, Document, EInvoiceFormat
from catalog import pricing
from catalog.models import BillingPeriod, Currency, PackageVersion, PricedLine, Product
from catalog.pricing import HUNDRED, round_money
from core.access import AccessPaths
from core.history import History
from core.links import object_url
from core.models import (
    OutboundMessage,
    StatusEvent,
    TimeStampedModel,
)
from offers.models import Offer, OfferOption, totals_of

period_months = pricing.period_months


class Contract(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent for signature")
        SIGNED = "signed", _("Signed")
        FINALIZED = "finalized", _("Finalized")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Cancelled")
        RENEWED = "renewed", _("Renewed")

    class SignedVia(models.TextChoices):
        WEB = "web", _("Signing link")
        SCAN = "scan", _("Signed scan")

    TRANSITIONS = {
        Status.DRAFT: {Status.SENT, Status.CANCELLED},
        Status.SENT: {Status.SIGNED, Status.CANCELLED},
        Status.SIGNED: {Status.FINALIZED, Status.CANCELLED},
        Status.FINALIZED: {Status.ACTIVE, Status.CANCELLED},
        Status.ACTIVE: {Status.ENDED, Status.RENEWED, Status.CANCELLED},
        Status.ENDED: set(),
        Status.RENEWED: set(),
        Status.CANCELLED: set(),
    }
    TRANSITION_REFUSED = _("A contract that is %(status)s cannot become %(to)s.")
    OPEN = (Status.DRAFT, Status.SENT, Status.SIGNED)
    RUNNING = (Status.FINALIZED, Status.ACTIVE)

    number = models.CharField(_("number"), max_length=20, unique=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="contracts",
        db_index=False,  # covered by a composite index, or never searched
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    offer = models.OneToOneField(
        Offer,
        verbose_name=_("offer"),
        on_delete=models.PROTECT,
        related_name="contract",
        null=True,
        blank=True,
    )
    option = models.ForeignKey(
        OfferOption,
        verbose_name=_("accepted option"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("renews"),
        on_delete=models.PROTECT,
        related_name="renewal",
        null=True,
        blank=True,
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    language = models.CharField(_("language"), max_length=2, default="en")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    start_on = models.DateField(_("start of term"))
    end_on = models.DateField(_("end of term"))
    duration_months = models.PositiveSmallIntegerField(_("term (months)"))
    billing_period = models.CharField(
        _("billing period"), max_length=20, choices=BillingPeriod.choices
    )
    auto_renew = models.BooleanField(_("standing order (renews automatically)"))
    renewal_months = models.PositiveSmallIntegerField(
        _("renewal term (months)"), default=12
    )
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"))
    cancel_by = models.DateField(
        _("cancel-by date"),
        null=True,
        blank=True,
        help_text=_("The last day a cancellation stops the next renewal."),
    )
    trial_days = models.PositiveSmallIntegerField(
        _("trial days"),
        default=0,
        help_text=_("0 starts paid subscriptions; more starts them as a trial."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=14
    )
    purchase_order_ref = models.CharField(
        _("purchase order"),
        max_length=100,
        blank=True,
        help_text=_("The customer's order number, quoted on every invoice."),
    )
    buyer_reference = models.CharField(
        _("buyer reference / Leitweg-ID"),
        max_length=100,
        blank=True,
        help_text=_("For this contract's invoices; the account's where empty."),
    )
    needs_approval = models.BooleanField(_("discount needed approval"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    document = models.ForeignKey(
        Document,
        verbose_name=_("contract document"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    pdf_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    message = models.ForeignKey(
        OutboundMessage,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    signed_via = models.CharField(
        _("signed via"), max_length=10, choices=SignedVia.choices, blank=True
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signer_name = models.CharField(_("signed by"), max_length=200, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=200, blank=True)
    signer_ip = models.GenericIPAddressField(_("signer's IP"), null=True, blank=True)
    signer_user_agent = models.CharField(max_length=500, blank=True)
    signed_sha256 = models.CharField(
        _("SHA-256 of the signed document"), max_length=64, blank=True
    )
    signed_scan = models.ForeignKey(
        Document,
        verbose_name=_("signed scan"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    finalized_at = models.DateTimeField(_("finalized at"), null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("finalized by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    notice_received_on = models.DateField(
        _("customer's notice received on"),
        null=True,
        blank=True,
        help_text=_("The customer gave notice: the standing order no longer renews."),
    )
    notice_reason = models.TextField(_("reason given with the notice"), blank=True)
    renewal_offer = models.ForeignKey(
        Offer,
        verbose_name=_("renewal offer"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    history = History(excluded_fields=["updated_at"])

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "draft",
                        "sent",
                        "signed",
                        "finalized",
                        "active",
                        "ended",
                        "cancelled",
                        "renewed",
                    ]
                ),
                name="contract_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(end_on__gte=models.F("start_on")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_months__gte=1),
                name="contract_duration_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "end_on"], name="contract_status_end_idx"),
            models.Index(fields=["account", "status"], name="contract_account_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return object_url("contracts:detail", self.pk)

    @property
    def is_locked(self) -> bool:
        """Finalized and later contracts are read-only."""
        return self.status not in self.OPEN

    def figures(self) -> pricing.Figures:
        """The signed figures of the first term (catalog.pricing): per billing
        period, per year and for the term; a trial is not part of what is signed."""
        return pricing.figures(
            self.lines.all(),
            start_on=self.start_on,
            months=self.duration_months,
            billing_period=self.billing_period,
        )

    def totals(self) -> dict:
        return totals_of(self.figures())


class ContractLine(PricedLine):
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    package_version = models.ForeignKey(
        PackageVersion,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="contract_line_qty_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0),
                name="contract_line_price_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="contract_line_discount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    price_unit__in=["one_off", "monthly", "quarterly", "yearly"]
                ),
                name="contract_line_price_unit_valid",
            ),
        ]

    @property
    def is_subscription(self) -> bool:
        return self.product.kind == Product.Kind.SUBSCRIPTION


class ContractTerm(models.Model):
    """One term of a contract; a renewal adds the next, linked to the one before."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial term")
        RENEWAL = "renewal", _("Automatic renewal")

    contract = models.ForeignKey(
        Contract,
        on_delete=models.CASCADE,
        related_name="terms",
        db_index=False,  # covered by a composite index, or never searched
    )
    sequence = models.PositiveSmallIntegerField(_("term no."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous term"),
        on_delete=models.PROTECT,
        related_name="next",
        null=True,
        blank=True,
    )
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"))
    cancel_by = models.DateField(_("cancel-by date"), null=True, blank=True)
    arr = models.DecimalField(
        _("ARR"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    price_change_percent = models.DecimalField(
        _("price change %"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    business_date = models.DateField(_("renewed on (business date)"), null=True)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(_("customer notified at"), null=True, blank=True)

    class Meta:
        ordering = ["contract", "sequence"]
        verbose_name = _("contract term")
        verbose_name_plural = _("contract terms")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "sequence"], name="one_term_per_sequence"
            ),
            models.UniqueConstraint(
                fields=["contract", "start_on"], name="one_term_per_start"
            ),
            models.CheckConstraint(
                condition=models.Q(end_on__gte=models.F("start_on")),
                name="term_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.contract_id} #{self.sequence}: {self.start_on} – {self.end_on}"


class ContractEvent(StatusEvent):
    """One status change of a contract: who, when, from, to."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="events"
    )

    class Meta(StatusEvent.Meta):
        pass

    def __str__(self):
        return f"{self.contract_id}: {self.from_status} → {self.to_status}"

    @property
    def from_label(self) -> str:
        return super().from_label or "–"


class Subscription(TimeStampedModel):
    class Status(models.TextChoices):
        TRIAL = "trial", _("Trial")
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")
        ENDED = "ended", _("Ended")

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="subscriptions",
    )
    contract_line = models.OneToOneField(
        ContractLine, on_delete=models.PROTECT, related_name="subscription"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="subscriptions",
        db_index=False,  # covered by a composite index, or never searched
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # covered by a composite index, or never searched
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    billing_period = models.CharField(
        _("billing period"), max_length=20, choices=BillingPeriod.choices
    )
    period_amount = models.DecimalField(
        _("net per billing period"), max_digits=14, decimal_places=2
    )
    tax_rate = models.DecimalField(_("tax rate %"), max_digits=5, decimal_places=2)
    mrr = models.DecimalField(_("MRR"), max_digits=14, decimal_places=2)
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end of term"))
    trial_ends_on = models.DateField(_("trial ends"), null=True, blank=True)
    next_billing_on = models.DateField(_("next billing date"), null=True, blank=True)
    trial_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    history = History(excluded_fields=["updated_at"])

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["start_on", "pk"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_amount__gte=0),
                name="subscription_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="trial")
                | models.Q(trial_ends_on__isnull=False),
                name="trial_has_end",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_billing_on"], name="subscription_billing_idx"
            ),
            models.Index(fields=["account", "status"], name="subscription_account_idx"),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity} ({self.get_status_display()})"


class Invoice(TimeStampedModel):
    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        SENT = "sent", _("Sent")
        PAID = "paid", _("Paid")
        OVERDUE = "overdue", _("Overdue")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.ISSUED, Status.SENT, Status.OVERDUE)
    # what may still change once issued; everything else is fixed for good
    MUTABLE_FIELDS = frozenset(
        {
            "status",
            "paid_on",
            "document",
            "pdf_sha256",
            "xml_document",
            "einvoice_error",
            "message",
            "sent_at",
            "updated_at",
        }
    )

    series = models.CharField(_("series"), max_length=10)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.INVOICE
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="invoices",
        db_index=False,  # covered by a composite index, or never searched
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
    )
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects invoice"),
        on_delete=models.PROTECT,
        related_name="credit_note",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ISSUED
    )
    issued_on = models.DateField(_("issue date"))
    due_on = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    net = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    tax = models.DecimalField(_("tax"), max_digits=14, decimal_places=2)
    gross = models.DecimalField(_("gross"), max_digits=14, decimal_places=2)
    bill_to = models.TextField(_("billing address"))
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    email = models.EmailField(_("sent to"), blank=True)
    note = models.TextField(_("note"), blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # as issued: the seller's and the buyer's data, the payment means and the
    # references (an issued invoice never changes, whatever changes after)
    parties = models.JSONField(_("parties"), default=dict, blank=True, editable=False)
    buyer_reference = models.CharField(
        _("buyer reference / Leitweg-ID"), max_length=100, blank=True
    )
    purchase_order_ref = models.CharField(
        _("purchase order"), max_length=100, blank=True
    )
    tax_note = models.TextField(_("tax note"), blank=True)
    einvoice_format = models.CharField(
        _("invoice format"),
        max_length=20,
        choices=EInvoiceFormat.choices,
        default=EInvoiceFormat.PDF,
    )
    xml_document = models.ForeignKey(
        Document,
        verbose_name=_("e-invoice XML"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # never searched
    )
    einvoice_error = models.TextField(
        _("e-invoice refused"),
        blank=True,
        help_text=_("Why the e-invoice did not validate; nothing was sent."),
    )
    document = models.ForeignKey(
        Document,
        verbose_name=_("PDF"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    message = models.ForeignKey(
        OutboundMessage,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    history = History(excluded_fields=["updated_at"])

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            # the counter row lock makes numbers consecutive; the database refuses
            # any second use of a number
            models.UniqueConstraint(
                fields=["series", "year", "sequence"], name="invoice_number_once"
            ),
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="invoice_sequence_positive"
            ),
            models.CheckConstraint(
                # rounded: SQLite (the embedded default) adds decimals as floats
                condition=models.Q(gross=Round(models.F("net") + models.F("tax"), 2)),
                name="invoice_gross_is_net_plus_tax",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice", net__gte=0)
                | models.Q(kind="credit_note", net__lte=0, corrects__isnull=False),
                name="invoice_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("issued_on")),
                name="invoice_due_after_issue",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="invoice_status_due_idx"),
            models.Index(fields=["account", "status"], name="invoice_account_idx"),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        # Issued invoices are immutable: only status, payment and delivery fields
        # may be written after the first save (corrections are credit notes).
        update_fields = kwargs.get("update_fields")
        issued = self.pk and not self._state.adding
        if issued and (
            update_fields is None or not set(update_fields) <= self.MUTABLE_FIELDS
        ):
            raise ValueError(
                "An issued invoice is immutable; save(update_fields=...) with "
                "status, payment or delivery fields only."
            )
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def tax_breakdown(self) -> list[dict]:
        """Net, tax and gross per tax rate (lines prefetched)."""
        rates: dict[Decimal, Decimal] = {}
        for line in self.lines.all():
            rates[line.tax_rate] = rates.get(line.tax_rate, Decimal(0)) + line.net
        return [
            {
                "rate": rate,
                "net": net,
                "tax": round_money(net * rate / HUNDRED),
                "gross": net + round_money(net * rate / HUNDRED),
            }
            for rate, net in sorted(rates.items())
        ]


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        null=True,
        blank=True,
    )
    contract_line = models.ForeignKey(
        ContractLine,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        null=True,
        blank=True,
    )
    is_credit = models.BooleanField(default=False)
    description = models.CharField(_("description"), max_length=250)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    # a prorated period: the days billed of the days in its whole period
    prorated_days = models.PositiveSmallIntegerField(
        _("days billed"), null=True, blank=True
    )
    period_days = models.PositiveSmallIntegerField(
        _("days in the period"), null=True, blank=True
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_code = models.CharField(_("unit code"), max_length=3, default="C62")
    net = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    tax_rate = models.DecimalField(_("tax rate %"), max_digits=5, decimal_places=2)
    # EN 16931's VAT category (S standard, Z zero, AE reverse charge, G export…)
    tax_category = models.CharField(_("tax category"), max_length=2, default="S")
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=models.Q(subscription__isnull=False, is_credit=False),
                name="one_invoice_line_per_subscription_period",
            ),
            models.UniqueConstraint(
                fields=["contract_line"],
                condition=models.Q(
                    subscription__isnull=True,
                    contract_line__isnull=False,
                    is_credit=False,
                ),
                name="one_off_line_invoiced_once",
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def is_prorated(self) -> bool:
        return self.prorated_days is not None
