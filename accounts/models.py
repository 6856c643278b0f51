import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Currency, Product
from core.access import AccessPaths
from core.history import History
from core.links import object_url
from core.models import KeepsMessages, OutboundMessage, TimeStampedModel

SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class EInvoiceFormat(models.TextChoices):
    """What a customer receives as the invoice (contracts.services.einvoice)."""

    PDF = "pdf", _("PDF only")
    FACTURX = "facturx", _("Factur-X / ZUGFeRD (PDF with EN 16931 XML)")
    XRECHNUNG = "xrechnung", _("XRechnung 3.0 (CII XML) with a PDF copy")
    XRECHNUNG_UBL = "xrechnung_ubl", _("XRechnung 3.0 (UBL XML) with a PDF copy")


class Account(TimeStampedModel):
    """A customer account, looked after by one key account manager."""

    class ServicePath(models.TextChoices):
        KEY_ACCOUNT = "key_account", _("Key account management")
        OUTBOUND = "outbound", _("Outbound account management")
        SELF_SERVICE = "self_service", _("Self-service")

    class Complexity(models.TextChoices):
        SIMPLE = "simple", _("Simple")
        MEDIUM = "medium", _("Medium")
        COMPLEX = "complex", _("Complex")

    class Lifecycle(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", _("Customer")
        LOST = "lost", _("Lost")
        WON_BACK = "won_back", _("Won back")

    class Tier(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    class Language(models.TextChoices):
        EN = "en", _("English")
        DE = "de", _("German")

    class Criterion(models.TextChoices):
        REVENUE = "revenue", _("High revenue or revenue potential")
        STRATEGIC = "strategic", _("Strategic importance / reference value")
        GROWTH = "growth", _("Growth potential (upsell, whitespace)")
        COMPLEXITY = "complexity", _("Complex buying center or needs")
        RELATIONSHIP = "relationship", _("Long-term relationship and loyalty")
        INNOVATION = "innovation", _("Innovation partner / co-development")

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=250, blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    # billing: who receives invoices, in which format, with which references
    billing_contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("billing contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Receives the invoices; the contract's contact where none."),
    )
    billing_email = models.EmailField(
        _("billing email"),
        blank=True,
        help_text=_("Invoices go here first (e.g. an accounts-payable mailbox)."),
    )
    einvoice_format = models.CharField(
        _("invoice format"),
        max_length=20,
        choices=EInvoiceFormat.choices,
        default=EInvoiceFormat.PDF,
    )
    buyer_reference = models.CharField(
        _("buyer reference / Leitweg-ID"),
        max_length=100,
        blank=True,
        help_text=_(
            "Public buyers in Germany give a Leitweg-ID (e.g. 991-12345-67); "
            "XRechnung requires a buyer reference."
        ),
    )
    electronic_address = models.CharField(
        _("e-invoice address"),
        max_length=200,
        blank=True,
        help_text=_("Where e-invoices are received (an email address); the "
                    "billing email where none."),
    )  # fmt: skip
    sepa_mandate_ref = models.CharField(
        _("SEPA direct debit mandate"),
        max_length=35,
        blank=True,
        help_text=_("With a mandate, invoices are collected by direct debit."),
    )
    sepa_debtor_iban = models.CharField(_("debtor IBAN"), max_length=34, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("key account manager"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deputy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputy_accounts",
    )
    service_path = models.CharField(
        _("service path"),
        max_length=20,
        choices=ServicePath.choices,
        default=ServicePath.KEY_ACCOUNT,
    )
    complexity = models.CharField(
        _("complexity"),
        max_length=10,
        choices=Complexity.choices,
        default=Complexity.MEDIUM,
    )
    lifecycle = models.CharField(
        _("lifecycle status"),
        max_length=10,
        choices=Lifecycle.choices,
        default=Lifecycle.CUSTOMER,
    )
    is_key_account = models.BooleanField(_("key account"), default=False)
    key_account_criteria = models.JSONField(
        _("selection criteria met"), default=list, blank=True
    )
    key_account_score = models.PositiveSmallIntegerField(
        _("key account score"), default=0, validators=[MaxValueValidator(100)]
    )
    revenue_potential = models.DecimalField(
        _("annual revenue potential (EUR)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Estimated yearly spend of the customer on products like ours."),
    )
    strategic_fit = models.PositiveSmallIntegerField(
        _("strategic fit (1–5)"), default=3, validators=SCORE
    )
    external_ref = models.CharField(
        _("external reference"), max_length=64, null=True, blank=True, unique=True
    )
    # Maintained by portfolio_recompute (nightly and on demand).
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True)
    revenue_12m = models.DecimalField(
        _("revenue, last 12 months (EUR)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
    )
    revenue_prev_12m = models.DecimalField(
        _("revenue, the 12 months before (EUR)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
    )
    attractiveness = models.PositiveSmallIntegerField(_("attractiveness"), default=0)
    position = models.PositiveSmallIntegerField(_("our position"), default=0)
    score_inputs = models.JSONField(
        _("score inputs"), default=dict, blank=True, editable=False
    )
    portfolio_computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_touch_at = models.DateTimeField(
        _("last touch"), null=True, blank=True, editable=False
    )
    # Raised by the database in the same transaction as any write to the account or
    # to what hangs off it (accounts.versions): the key of the 360's cached panels.
    version = models.PositiveBigIntegerField(_("version"), default=0, editable=False)

    history = History(
        excluded_fields=[
            "score_inputs",
            "portfolio_computed_at",
            "last_touch_at",
            "version",
        ]
    )
    access = AccessPaths(owner="owner", deputy="deputy")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["owner", "name"], name="account_owner_name_idx"),
            # the account list's pages by key (core.paging): each order, then the id
            models.Index(fields=["name", "id"], name="account_name_id_idx"),
            models.Index(fields=["revenue_12m", "id"], name="account_revenue_id_idx"),
            models.Index(fields=["tier", "id"], name="account_tier_id_idx"),
            models.Index(fields=["deputy"], name="account_deputy_idx"),
            models.Index(fields=["tier", "-revenue_12m"], name="account_tier_rev_idx"),
            # an account's peers (same industry and tier) for the 360's upsell hints
            models.Index(fields=["industry", "tier"], name="account_segment_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(deputy=models.F("owner")),
                name="account_deputy_not_owner",
                violation_error_message=_(
                    "The deputy must be another person than the owner."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="account_not_own_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(revenue_potential__gte=0),
                name="account_potential_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return object_url("accounts:detail", self.pk)

    @property
    def revenue_trend(self) -> Decimal | None:
        """Year-over-year change of revenue in percent (None without a base year)."""
        if not self.revenue_prev_12m:
            return None
        return (
            (self.revenue_12m - self.revenue_prev_12m) / self.revenue_prev_12m * 100
        ).quantize(Decimal("0.1"))


class Contact(TimeStampedModel):
    class Role(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("Decision maker")
        PURCHASING = "purchasing", _("Purchasing")
        IT = "it", _("IT")
        MANAGEMENT = "management", _("Management")
        USER = "user", _("User")
        WORKS_COUNCIL = "works_council", _("Works council")
        CHAMPION = "champion", _("Champion")
        INFLUENCER = "influencer", _("Influencer")
        BLOCKER = "blocker", _("Blocker")

    class Attitude(models.TextChoices):
        SUPPORTER = "supporter", _("Supporter")
        NEUTRAL = "neutral", _("Neutral")
        CRITIC = "critic", _("Critic")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    role = models.CharField(
        _("buying-center role"), max_length=20, choices=Role.choices, default=Role.USER
    )
    influence = models.PositiveSmallIntegerField(
        _("influence (1–5)"), default=3, validators=SCORE
    )
    attitude = models.CharField(
        _("attitude"), max_length=10, choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    relationship_strength = models.PositiveSmallIntegerField(
        _("relationship strength (1–5)"), default=3, validators=SCORE
    )
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    # the customer portal (portal app): who may sign in, and whether a head office
    # contact sees the subsidiaries of its account too
    portal_enabled = models.BooleanField(
        _("may use the customer portal"),
        default=False,
        help_text=_("Signs in by a one-time link sent to the contact's email."),
    )
    portal_sees_group = models.BooleanField(
        _("sees the subsidiaries in the portal"), default=False
    )
    external_ref = models.CharField(
        _("external reference"), max_length=64, null=True, blank=True, unique=True
    )

    access = AccessPaths(owner="account__owner", deputy="account__deputy")
    # what a user edits on a contact: the form, the API, the import and the service
    # all take this list (the import names `reports_to` by reference)
    EDITABLE = (
        "first_name", "last_name", "job_title", "email", "phone", "role",
        "influence", "attitude", "relationship_strength", "reports_to",
        "do_not_contact",
    )  # fmt: skip
    # what the KAM sets for the customer portal (the contact form and service)
    PORTAL = ("portal_enabled", "portal_sees_group")

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(influence__gte=1, influence__lte=5),
                name="contact_influence_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    relationship_strength__gte=1, relationship_strength__lte=5
                ),
                name="contact_strength_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(reports_to=models.F("pk")),
                name="contact_not_own_boss",
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()


class OrderLine(models.Model):
    """One line of order history, imported from the ERP."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="order_lines"
    )
    ordered_on = models.DateField(_("order date"))
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    net_amount = models.DecimalField(_("net amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    external_ref = models.CharField(
        _("source-system reference"), max_length=64, unique=True
    )

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-ordered_on", "-pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order history")
        indexes = [
            models.Index(
                fields=["account", "ordered_on"], name="orderline_account_date_idx"
            )
        ]

    def __str__(self):
        return f"{self.ordered_on} {self.product} {self.net_amount} {self.currency}"


class Touchpoint(TimeStampedModel):
    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        VISIT = "visit", _("Visit")
        EMAIL = "email", _("Email")
        EVENT = "event", _("Event")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="touchpoints"
    )
    occurred_at = models.DateTimeField(_("date"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    contacts = models.ManyToManyField(
        Contact,
        verbose_name=_("contacts involved"),
        blank=True,
        related_name="touchpoints",
    )
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=250, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")

    def __str__(self):
        return f"{self.get_channel_display()}: {self.subject}"


def _document_path(instance, filename):
    return f"documents/{instance.account_id}/{uuid.uuid4().hex}"


class Document(TimeStampedModel):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(_("file"), upload_to=_document_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    mimetype = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    title = models.CharField(_("title"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    shared_in_portal = models.BooleanField(
        _("shared in the customer portal"), default=False
    )

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.title or self.filename

    def get_absolute_url(self):
        return object_url("accounts:document-download", self.pk)


class Task(TimeStampedModel):
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    due_at = models.DateTimeField(_("due"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    related_content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True
    )
    related_object_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("related_content_type", "related_object_id")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # what a planned task is for (e.g. "check-in:handoff:30"): one per account and key
    key = models.CharField(max_length=80, blank=True, default="", editable=False)
    reminder_sent_at = models.DateTimeField(
        _("reminder sent at"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    # The assignee and everyone who may see the task's account.
    access = AccessPaths(owner=("assignee", "account__owner"), deputy="account__deputy")

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(
                fields=["assignee", "done_at", "due_at"], name="task_assignee_open_idx"
            ),
            models.Index(
                fields=["reminder_sent_at", "due_at"], name="task_reminder_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key"],
                condition=~models.Q(key=""),
                name="task_one_per_account_and_key",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return object_url("accounts:task-edit", self.pk)

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        return not self.is_done and self.due_at < timezone.now()


class TimelineEntry(KeepsMessages):
    """One line of an account's timeline, written with the thing it records."""

    class Kind(models.TextChoices):
        TOUCHPOINT = "touchpoint", _("Touchpoint")
        EMAIL = "email", _("Email")
        DOCUMENT = "document", _("Document")
        TASK = "task", _("Task")
        EVENT = "event", pgettext_lazy("timeline entry", "Event")

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="timeline",
        db_index=False,  # covered by a composite index, or never searched
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=250)
    summary = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # covered by a composite index, or never searched
    )
    touchpoint = models.OneToOneField(
        Touchpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline_entry",
    )
    document = models.OneToOneField(
        Document,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline_entry",
    )
    message = models.ForeignKey(
        OutboundMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # covered by a composite index, or never searched
    )
    related_content_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # covered by a composite index, or never searched
    )
    related_object_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("related_content_type", "related_object_id")
    KEPT = {"title": 250, "summary": None}  # shown in the reader's language
    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        indexes = [
            models.Index(
                fields=["account", "-occurred_at"], name="timeline_account_idx"
            )
        ]

    def __str__(self):
        return self.shown_title

    @property
    def shown_title(self) -> str:
        """The title in the reader's language."""
        return self.shown("title")

    @property
    def shown_summary(self) -> str:
        return self.shown("summary")


class PortfolioConfig(models.Model):
    """Thresholds of the ABC analysis (one row, edited in the admin)."""

    a_share = models.PositiveSmallIntegerField(
        _("A accounts make the first … % of revenue"),
        default=80,
        validators=[MaxValueValidator(100)],
    )
    b_share = models.PositiveSmallIntegerField(
        _("A and B accounts make the first … % of revenue"),
        default=95,
        validators=[MaxValueValidator(100)],
    )
    key_accounts_per_kam = models.PositiveSmallIntegerField(
        _("key accounts per KAM (benchmark)"), default=40
    )

    class Meta:
        verbose_name = _("portfolio settings")
        verbose_name_plural = _("portfolio settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    a_share__gt=0, a_share__lt=models.F("b_share"), b_share__lte=100
                ),
                name="portfolio_shares_ordered",
                violation_error_message=_(
                    "The A share must be above 0 and below the A+B share (≤ 100)."
                ),
            )
        ]

    def __str__(self):
        return str(_("Portfolio settings"))

    @classmethod
    def get(cls) -> "PortfolioConfig":
        """The settings row, or the defaults when nobody saved any (no write)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class Handoff(TimeStampedModel):
    """A sales intake form for a newly won customer, and where it was routed."""

    class Status(models.TextChoices):
        AWAITING_KAM = "awaiting_kam", _("Awaiting a KAM")
        ROUTED = "routed", _("Routed")

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="handoff"
    )
    needs = models.TextField(_("needs"))
    products = models.ManyToManyField(
        Product, verbose_name=_("products bought"), blank=True, related_name="+"
    )
    expected_annual_revenue = models.DecimalField(
        _("expected annual revenue (EUR)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
    )
    complexity = models.CharField(
        _("complexity"), max_length=10, choices=Account.Complexity.choices
    )
    proposed_path = models.CharField(
        _("proposed service path"), max_length=20, choices=Account.ServicePath.choices
    )
    team = models.ForeignKey(
        "core.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sales handoff")
        verbose_name_plural = _("sales handoffs")

    def __str__(self):
        return f"{self.account} ({self.get_status_display()})"


class DigestLog(models.Model):
    """Which user got the task digest of which day (sent once, even on reruns)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_day")
        ]

    def __str__(self):
        return f"{self.user} {self.day}"
