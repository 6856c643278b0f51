"""The nightly renewal job's settings and records, and the lost accounts it finds."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from catalog.models import Currency
from contracts.models import Contract
from core.access import AccessPaths
from core.links import object_url
from offers.models import Offer


class RenewalConfig(models.Model):
    """How the nightly job renews (one row, edited in the admin)."""

    class Pricing(models.TextChoices):
        CONTRACT = "contract", _("Keep the contract prices")
        UPLIFT = "uplift", _("Contract prices plus a fixed uplift")
        LIST = "list", _("Current list prices, negotiated discounts kept")

    lead_days = models.PositiveSmallIntegerField(
        _("renewal offer lead time (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "Contracts without a standing order get a draft renewal offer this many "
            "days before their cancel-by or end date."
        ),
    )
    pricing = models.CharField(
        _("renewal prices"),
        max_length=10,
        choices=Pricing.choices,
        default=Pricing.CONTRACT,
    )
    uplift_percent = models.DecimalField(
        _("uplift / cap %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
        help_text=_(
            "Uplift: the increase on every contract price. List prices: the largest "
            "increase a renewal may bring (0 = no cap)."
        ),
    )

    class Meta:
        verbose_name = _("renewal settings")
        verbose_name_plural = _("renewal settings")

    def __str__(self):
        return str(_("Renewal settings"))

    @classmethod
    def get(cls) -> "RenewalConfig":
        config, _created = cls.objects.get_or_create(pk=1)
        return config


COUNT_LABELS = {
    "started": _("contracts started"),
    "trials_converted": _("trials converted"),
    "renewed": _("standing orders renewed"),
    "invoices": _("invoices"),
    "invoice_lines": _("invoice lines"),
    "renewal_offers": _("renewal offers drafted"),
    "ended": _("contracts ended"),
    "renewed_by_offer": _("continued by a new contract"),
    "accounts_lost": _("accounts lost"),
}


class RenewalRun(models.Model):
    """One run of the nightly job for one business date."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("With failures")
        INTERRUPTED = "interrupted", _("Interrupted")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        COMMAND = "command", _("Command")

    business_date = models.DateField(_("business date"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField(
        _("started by"), max_length=10, choices=Trigger.choices, default="schedule"
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    counts = models.JSONField(_("counts per step"), default=dict, blank=True)
    failure_count = models.PositiveIntegerField(_("failures"), default=0)
    timings = models.JSONField(_("seconds per step"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("renewal run")
        verbose_name_plural = _("renewal runs")
        indexes = [
            models.Index(fields=["status", "business_date"], name="renewal_run_idx")
        ]

    def __str__(self):
        return f"{self.business_date} ({self.get_status_display()})"

    def get_absolute_url(self):
        return object_url("renewals:run", self.pk)

    @property
    def labelled_counts(self) -> list[tuple[str, int]]:
        """(label, count) per step outcome, in the job's order."""
        return [(COUNT_LABELS.get(k, k), v) for k, v in self.counts.items()]

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class RenewalFailure(models.Model):
    """A contract one step could not process; the batch went on without it."""

    run = models.ForeignKey(
        RenewalRun, on_delete=models.CASCADE, related_name="failures"
    )
    step = models.CharField(_("step"), max_length=20)
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    error = models.TextField(_("error"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("renewal failure")
        verbose_name_plural = _("renewal failures")

    def __str__(self):
        return f"{self.step}: {self.contract_id}"


class Churn(models.Model):
    """An account that lost its last running contract: why, and the way back."""

    class Reason(models.TextChoices):
        PRICE = "price", _("Price / budget")
        COMPETITOR = "competitor", _("Went to a competitor")
        VALUE = "value", _("Too little use or value")
        PRODUCT = "product", _("Product gaps")
        SERVICE = "service", _("Service or relationship")
        ORGANISATION = "organisation", _("Merger, closure or reorganisation")
        CHAMPION = "champion", _("Our champion left")
        OTHER = "other", _("Other")

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="churns",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("last contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lost_on = models.DateField(_("lost on"))
    lost_arr = models.DecimalField(
        _("lost ARR"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    reason = models.CharField(
        _("churn reason"), max_length=20, choices=Reason.choices, blank=True
    )
    note = models.TextField(_("what happened"), blank=True)
    reason_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason_at = models.DateTimeField(null=True, blank=True)
    winback_offer = models.ForeignKey(
        Offer,
        verbose_name=_("win-back offer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    won_back_on = models.DateField(_("won back on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-lost_on", "-pk"]
        verbose_name = _("lost account")
        verbose_name_plural = _("lost accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(won_back_on__isnull=True),
                name="one_open_churn_per_account",
            ),
            models.CheckConstraint(
                condition=models.Q(lost_arr__gte=0), name="churn_arr_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.account} ({self.lost_on})"

    def get_absolute_url(self):
        return object_url("renewals:churn", self.pk)
