import functools
import secrets
import uuid
from email.utils import make_msgid
from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.links import object_url
from core.roles import ROLE_PRIORITY, ROLES_SEEING_EVERYTHING, Role


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class KeepingQuerySet(models.QuerySet):
    """`create` and `bulk_create` take the model's KEPT columns as `Later`s."""

    def create(self, **kwargs):
        obj = self.model(**kwargs)
        obj.keep_all()
        obj.save(force_insert=True, using=self.db)
        return obj

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.keep_all()
        return super().bulk_create(objs, *args, **kwargs)


class KeepsMessages(models.Model):
    """Text columns written as `Later`s (core.i18n) are shown in the reader's
    language: the column holds the writer's wording (search, fallback), `text` the
    message id and values. KEPT names those columns (and their sizes); writes
    through the manager keep them, reads go through `shown()`."""

    KEPT: dict[str, int | None] = {}

    text = models.JSONField(default=dict, blank=True, editable=False)

    objects = KeepingQuerySet.as_manager()

    class Meta:
        abstract = True

    def keep_all(self) -> None:
        for name, size in self.KEPT.items():
            self.keep(name, getattr(self, name), size)

    def keep(self, name: str, value, size: int | None = None) -> None:
        """Set column `name` to `value` (a `Later`, a lazy label or plain text)."""
        from core.i18n import stored

        message = stored(value)
        if message is not None:
            self.text = {**(self.text or {}), name: message}
        text = str(value)
        setattr(self, name, text[:size] if size else text)

    def shown(self, name: str) -> str:
        from core.i18n import render

        if name in (self.text or {}):
            return render(self.text[name])
        return getattr(self, name)


class StatusEvent(KeepsMessages):
    """One status change of an object: who, when, from, to, why (Oscar's status
    change rows). A concrete event model adds the foreign key to its object, named
    `related_name="events"`; core.state.transition writes it."""

    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        "core.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    KEPT = {"comment": None}  # shown in the reader's language

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    @property
    def shown_comment(self) -> str:
        """The comment in the reader's language."""
        return self.shown("comment")

    @classmethod
    @functools.cache
    def _subject(cls):
        return next(
            f
            for f in cls._meta.fields
            if f.is_relation and f.remote_field.related_name == "events"
        )

    @classmethod
    def subject_model(cls):
        """The model whose status changes this event records."""
        return cls._subject().related_model

    @classmethod
    def events_field(cls) -> str:
        """The name of the foreign key to that model."""
        return cls._subject().name

    def _label(self, status: str) -> str:
        return self.subject_model().Status(status).label if status else ""

    @property
    def to_label(self) -> str:
        return self._label(self.to_status)

    @property
    def from_label(self) -> str:
        return self._label(self.from_status)


class Team(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_outbound = models.BooleanField(
        _("outbound account management"),
        default=False,
        help_text=_(
            "Serves smaller customers; handoffs outside key account management go here."
        ),
    )
    manager = models.ForeignKey(
        "core.User",
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_teams",
        help_text=_("The Sales Manager who leads this team."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class User(AbstractUser):
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    calendar_token = models.CharField(
        _("calendar feed token"),
        max_length=64,
        unique=True,
        default=_new_token,
        editable=False,
    )

    class Meta(AbstractUser.Meta):
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    @cached_property
    def role_names(self) -> frozenset[str]:
        """Names of the user's roles (one query, cached for the request; none for the
        user of a request: core.auth reads them with the user)."""
        if not self.is_active or self.pk is None:
            return frozenset()
        return self.roles_with(
            self.groups.filter(name__in=list(Role)).values_list("name", flat=True)
        )

    def roles_with(self, group_names) -> frozenset[str]:
        """The user's roles, given the names of their role groups: none for an
        inactive user; a superuser is an administrator whatever their groups."""
        if not self.is_active or self.pk is None:
            return frozenset()
        names = set(group_names)
        if self.is_superuser:
            names.add(Role.ADMINISTRATOR)
        return frozenset(names)

    def has_role(self, role: Role) -> bool:
        return role in self.role_names

    @property
    def primary_role(self) -> Role | None:
        return next((r for r in ROLE_PRIORITY if r in self.role_names), None)

    @cached_property
    def managed_member_ids(self) -> tuple[int, ...]:
        """Ids of the members of the teams this user manages (cached for the request;
        no query unless the user is a Sales Manager)."""
        if Role.SALES_MANAGER not in self.role_names:
            return ()
        return tuple(
            User.objects.filter(team__manager=self).values_list("pk", flat=True)
        )

    @property
    def sees_everything(self) -> bool:
        return bool(self.role_names & ROLES_SEEING_EVERYTHING)


def _new_rfc_message_id() -> str:
    return make_msgid(idstring=uuid.uuid4().hex[:12], domain="kam.local")


class OutboundMessage(TimeStampedModel):
    """An email as recorded in the outbox: the record of what was sent."""

    class Status(models.TextChoices):
        READY = "ready", _("Ready")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.READY: {Status.SENDING, Status.FAILED},
        Status.SENDING: {Status.SENT, Status.READY, Status.FAILED},
        Status.SENT: set(),
        Status.FAILED: {Status.READY},
    }

    from_email = models.CharField(_("from"), max_length=320)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    bcc = models.JSONField(_("bcc"), default=list, blank=True)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    rfc_message_id = models.CharField(
        _("Message-ID"), max_length=255, unique=True, default=_new_rfc_message_id
    )
    related_content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True
    )
    related_object_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("related_content_type", "related_object_id")

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.READY
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sending_started_at = models.DateTimeField(
        _("sending started at"), null=True, blank=True
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_message_id = models.CharField(
        _("provider message id"), max_length=255, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(
                fields=["related_content_type", "related_object_id"],
                name="outbox_related_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["ready", "sending", "sent", "failed"]),
                name="outbox_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"


def _attachment_path(instance, filename):
    return f"outbox/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class OutboundAttachment(models.Model):
    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    mimetype = models.CharField(_("MIME type"), max_length=127)
    size = models.PositiveIntegerField(_("size in bytes"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename


class Notification(models.Model):
    """An in-app notification (the bell), e.g. a task reminder."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], name="notification_once_per_key"
            )
        ]

    def __str__(self):
        return self.title


class SeriesCounter(models.Model):
    """The last number issued per series and year (offers, contracts, invoices)."""

    series = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year"], name="one_counter_per_series_year"
            )
        ]

    def __str__(self):
        return f"{self.series}-{self.year}: {self.last}"


def export_upload_to(export: "Export", filename: str) -> str:
    """One folder per export: what a worker killed mid-way wrote is found again."""
    return f"exports/{export.pk}/{filename}"


class Export(TimeStampedModel):
    """A report's workbook, built by a worker: a large one takes longer than a
    request should. Only its user sees it; it is removed after a day."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Being written")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="exports")
    title = models.CharField(_("report"), max_length=200)
    # the report (its key in core.reports) and its filter, built by the worker
    report = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    # the report's page with its filter, linked from the export's page
    path = models.CharField(max_length=2000)
    language = models.CharField(max_length=10)
    filename = models.CharField(max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    sheets_total = models.PositiveSmallIntegerField(default=0)
    sheets_done = models.PositiveSmallIntegerField(default=0)
    sheet = models.CharField(max_length=100, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    # rows of the sheet being written, when known
    sheet_rows = models.PositiveIntegerField(null=True, blank=True)
    sheet_rows_written = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_upload_to, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["status", "updated_at"], name="export_due_idx")]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self):
        return object_url("core:export", self.pk)

    @property
    def percent(self) -> int:
        """How far the workbook is written: whole sheets, plus the share of the
        current sheet's rows when their number is known."""
        if self.status == self.Status.DONE:
            return 100
        if not self.sheets_total:
            return 0
        part = 0.0
        if self.sheet_rows:
            part = min(1.0, self.sheet_rows_written / self.sheet_rows)
        return min(99, int(100 * (self.sheets_done + part) / self.sheets_total))

    @property
    def report_url(self) -> str:
        """The report as it was asked for, without the request for a workbook."""
        path, _sep, query = self.path.partition("?")
        kept = [(k, v) for k, v in parse_qsl(query) if k != "format"]
        return f"{path}?{urlencode(kept)}" if kept else path

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class SellerProfile(TimeStampedModel):
    """Who sells: the legal data every invoice, credit note, offer and contract
    carries (one row, kept in the admin; no invoice is issued without it)."""

    name = models.CharField(_("legal name"), max_length=200)
    street = models.CharField(_("street"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(
        _("country"), max_length=2, default="DE", help_text=_("ISO code, e.g. DE.")
    )
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=30, blank=True)
    register_court = models.CharField(_("register court"), max_length=100, blank=True)
    register_number = models.CharField(_("register number"), max_length=50, blank=True)
    managing_directors = models.CharField(
        _("managing directors"), max_length=250, blank=True
    )
    contact_name = models.CharField(_("contact for invoices"), max_length=150)
    phone = models.CharField(_("phone"), max_length=50)
    email = models.EmailField(
        _("email for invoices"),
        help_text=_("Also the seller's electronic address on e-invoices."),
    )
    website = models.CharField(_("website"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    sepa_creditor_id = models.CharField(
        _("SEPA creditor id"),
        max_length=35,
        blank=True,
        help_text=_("Needed to collect by SEPA direct debit."),
    )

    # one seller: the row is kept and changed, never a second one made
    singleton = models.BooleanField(default=True, editable=False, unique=True)

    class Meta:
        verbose_name = _("seller profile")
        verbose_name_plural = _("seller profile")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(singleton=True), name="seller_profile_single"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from stdnum import bic, iban
        from stdnum.eu import vat

        errors = {}
        if not (self.vat_id or self.tax_number):
            errors["vat_id"] = _("An invoice needs the VAT id or the tax number.")
        if self.vat_id and not vat.is_valid(self.vat_id):
            errors["vat_id"] = _("This is not a valid EU VAT id.")
        if self.iban and not iban.is_valid(self.iban):
            errors["iban"] = _("This is not a valid IBAN.")
        if self.bic and not bic.is_valid(self.bic):
            errors["bic"] = _("This is not a valid BIC.")
        if len(self.country) != 2 or not self.country.isalpha():
            errors["country"] = _("Enter the two-letter ISO code, e.g. DE.")
        if errors:
            raise ValidationError(errors)
        self.country = self.country.upper()
        self.vat_id = self.vat_id.replace(" ", "").upper()
        self.iban = self.iban.replace(" ", "").upper()
        self.bic = self.bic.replace(" ", "").upper()

    @classmethod
    def current(cls) -> "SellerProfile | None":
        return cls.objects.first()
