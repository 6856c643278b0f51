"""Reports' settings and precomputed figures: health, churn targets, upsell."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from catalog.models import ProductFamily
from core.access import AccessPaths
from core.history import History
from core.models import Team, TimeStampedModel

WEIGHT = [MaxValueValidator(100)]


class HealthConfig(models.Model):
    """Weights of the health score's factors (one row, edited in the admin)."""

    # (factor key, label): the order in which the 360 lists them
    FACTORS = (
        ("revenue_trend", _("Revenue trend")),
        ("nps", _("NPS")),
        ("last_touch", _("Last touch against the contact cadence")),
        ("overdue", _("Overdue invoices")),
        ("escalations", _("Open escalations")),
        ("contract_end", _("Nearness of the contract end")),
        ("contacts", _("Engaged contacts")),
    )

    revenue_trend = models.PositiveSmallIntegerField(
        _("weight: revenue trend"), default=20, validators=WEIGHT
    )
    nps = models.PositiveSmallIntegerField(
        _("weight: NPS"), default=15, validators=WEIGHT
    )
    last_touch = models.PositiveSmallIntegerField(
        _("weight: last touch"), default=15, validators=WEIGHT
    )
    overdue = models.PositiveSmallIntegerField(
        _("weight: overdue invoices"), default=15, validators=WEIGHT
    )
    escalations = models.PositiveSmallIntegerField(
        _("weight: escalations"), default=10, validators=WEIGHT
    )
    contract_end = models.PositiveSmallIntegerField(
        _("weight: contract end"), default=15, validators=WEIGHT
    )
    contacts = models.PositiveSmallIntegerField(
        _("weight: engaged contacts"), default=10, validators=WEIGHT
    )
    cadence_a_days = models.PositiveSmallIntegerField(
        _("contact cadence of A accounts (days)"),
        default=14,
        validators=[MinValueValidator(1)],
    )
    cadence_b_days = models.PositiveSmallIntegerField(
        _("contact cadence of B accounts (days)"),
        default=30,
        validators=[MinValueValidator(1)],
    )
    cadence_c_days = models.PositiveSmallIntegerField(
        _("contact cadence of C accounts (days)"),
        default=60,
        validators=[MinValueValidator(1)],
    )
    warning_drop = models.PositiveSmallIntegerField(
        _("early warning: fall of at least (points)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    warning_days = models.PositiveSmallIntegerField(
        _("early warning: compared with the score … days ago"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )

    class Meta:
        verbose_name = _("health score settings")
        verbose_name_plural = _("health score settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revenue_trend__gt=0)
                | models.Q(nps__gt=0)
                | models.Q(last_touch__gt=0)
                | models.Q(overdue__gt=0)
                | models.Q(escalations__gt=0)
                | models.Q(contract_end__gt=0)
                | models.Q(contacts__gt=0),
                name="health_some_weight",
                violation_error_message=_("At least one weight must be above 0."),
            )
        ]

    def __str__(self):
        return str(_("Health score settings"))

    @classmethod
    def get(cls) -> "HealthConfig":
        """The settings row, or the defaults when nobody saved any (no write)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def weights(self) -> dict[str, int]:
        return {key: getattr(self, key) for key, _label in self.FACTORS}

    def cadence_days(self, tier: str) -> int:
        return {"A": self.cadence_a_days, "B": self.cadence_b_days}.get(
            tier, self.cadence_c_days
        )


class HealthScore(models.Model):
    """An account's health on one day, with what each factor gave."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="health_scores"
    )
    computed_on = models.DateField(_("date"))
    score = models.PositiveSmallIntegerField(_("score"), validators=WEIGHT)
    # {factor: {"value": shown value, "score": 0-100, "weight": w, "points": share}}
    factors = models.JSONField(default=dict)

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-computed_on"]
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "computed_on"], name="one_health_score_per_day"
            ),
            models.CheckConstraint(
                condition=models.Q(score__lte=100), name="health_score_range"
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.computed_on}: {self.score}"


class ChurnTarget(TimeStampedModel):
    """A manager's goal: lose at least … % less ARR than the year before."""

    year = models.PositiveSmallIntegerField(_("year"))
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the whole company."),
    )
    reduction_percent = models.DecimalField(
        _("reduce churned ARR by (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = History()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("churn target")
        verbose_name_plural = _("churn targets")
        constraints = [
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(team__isnull=True),
                name="one_company_churn_target_per_year",
            ),
            models.UniqueConstraint(
                fields=["year", "team"], name="one_team_churn_target_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    reduction_percent__gte=0, reduction_percent__lte=100
                ),
                name="churn_target_range",
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.team or '–'}: −{self.reduction_percent} %"


class FamilyAffinity(models.Model):
    """Within one industry and tier: of the accounts owning A, how many own B too."""

    industry = models.CharField(max_length=100)
    tier = models.CharField(max_length=1)
    antecedent = models.ForeignKey(
        ProductFamily, on_delete=models.CASCADE, related_name="+"
    )
    consequent = models.ForeignKey(
        ProductFamily, on_delete=models.CASCADE, related_name="+"
    )
    segment_size = models.PositiveIntegerField()
    antecedent_count = models.PositiveIntegerField()
    consequent_count = models.PositiveIntegerField()
    both_count = models.PositiveIntegerField()
    support = models.DecimalField(max_digits=5, decimal_places=4)
    confidence = models.DecimalField(max_digits=5, decimal_places=4)
    lift = models.DecimalField(max_digits=8, decimal_places=3)
    typical_arr = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0")
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("product family affinity")
        verbose_name_plural = _("product family affinities")
        constraints = [
            models.UniqueConstraint(
                fields=["industry", "tier", "antecedent", "consequent"],
                name="one_affinity_per_segment_pair",
            )
        ]

    def __str__(self):
        return f"{self.industry}/{self.tier}: {self.antecedent} → {self.consequent}"


class VolumeBenchmark(models.Model):
    """Within one industry and tier: the median quantity held of a product."""

    industry = models.CharField(max_length=100)
    tier = models.CharField(max_length=1)
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="+"
    )
    holders = models.PositiveIntegerField()
    median_quantity = models.DecimalField(max_digits=12, decimal_places=2)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("volume benchmark")
        verbose_name_plural = _("volume benchmarks")
        constraints = [
            models.UniqueConstraint(
                fields=["industry", "tier", "product"],
                name="one_volume_benchmark_per_segment",
            )
        ]

    def __str__(self):
        return f"{self.industry}/{self.tier}: {self.product_id} {self.median_quantity}"


class UpsellItem(models.Model):
    """One row of the upsell report, written by the nightly recompute.

    A report over more than `KAM_UPSELL_LIVE_LIMIT` accounts (the company's, a
    team's) reads its top rows and totals from here; a KAM's is computed live.
    The reason is kept as its values (`args`) and worded when shown, in the
    reader's language.
    """

    class Kind(models.TextChoices):
        RECOMMENDATION = "recommendations", _("Accounts like this also buy")
        HEADROOM = "headroom", _("Volume headroom")
        WALLET = "wallet", _("Unused share of wallet")
        TRIAL = "trials", _("Trials to convert")
        ENDING = "ending", _("Contracts ending soon with upsell room")

    # indexed by `upsell_account_kind` below
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=300, blank=True)
    args = models.JSONField(default=dict, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2)
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("upsell item")
        verbose_name_plural = _("upsell items")
        indexes = [
            models.Index(fields=["kind", "-value"], name="upsell_kind_value"),
            models.Index(fields=["kind", "due_on"], name="upsell_kind_due"),
            # a report's counts and totals per section read this index only
            models.Index(
                fields=["account", "kind"],
                include=["value"],
                name="upsell_account_kind",
            ),
            # when the nightly recompute last ran
            models.Index(fields=["computed_at"], name="upsell_computed_at"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.account_id} {self.title}"
