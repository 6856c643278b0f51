"""Reports' settings and records, account plans and the voice of the customer."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account, Contact, Task
from catalog.models import ProductFamily
from core.access import AccessPaths
from core.links import object_url
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


class NpsResponse(TimeStampedModel):
    """One answer to "How likely are you to recommend us?" (0–10)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="nps_responses"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="nps_responses",
    )
    score = models.PositiveSmallIntegerField(
        _("score (0–10)"), validators=[MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_on = models.DateField(_("answered on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-answered_on", "-pk"]
        verbose_name = _("NPS answer")
        verbose_name_plural = _("NPS answers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__lte=10), name="nps_score_range"
            )
        ]
        indexes = [
            models.Index(fields=["account", "answered_on"], name="nps_account_idx")
        ]

    def __str__(self):
        return f"{self.account} {self.answered_on}: {self.score}"

    @property
    def category(self) -> str:
        if self.score >= 9:
            return "promoter"
        return "passive" if self.score >= 7 else "detractor"


class FeedbackItem(TimeStampedModel):
    """Customer-advisory-board feedback, a request or an escalation."""

    class Kind(models.TextChoices):
        CAB = "cab", _("Advisory board feedback")
        REQUEST = "request", _("Product request")
        ESCALATION = "escalation", _("Escalation")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="feedback"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("details"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    raised_on = models.DateField(_("raised on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-raised_on", "-pk"]
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback")

    def __str__(self):
        return self.title


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
    history = HistoricalRecords()

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


class AccountPlan(TimeStampedModel):
    """A key account's plan for one year, agreed with the customer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AGREED = "agreed", _("Agreed with the customer")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    agreed_on = models.DateField(_("agreed on"), null=True, blank=True)
    agreed_with = models.ForeignKey(
        Contact,
        verbose_name=_("agreed with"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.TextField(_("where we stand"), blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    opportunities = models.TextField(_("opportunities"), blank=True)
    threats = models.TextField(_("threats"), blank=True)
    revenue_target = models.DecimalField(
        _("revenue target for the year"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    budget = models.DecimalField(
        _("account budget (costs)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    contact_cadence_days = models.PositiveSmallIntegerField(
        _("planned contact every … days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Empty: the default of the account's tier."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-year"]
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "year"], name="one_plan_per_account_year"
            ),
            models.CheckConstraint(
                condition=models.Q(revenue_target__gte=0, budget__gte=0),
                name="plan_amounts_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.year}"

    def get_absolute_url(self):
        return object_url("insights:plan", self.pk)

    SWOT = ("strengths", "weaknesses", "opportunities", "threats")
    # what the plan form edits (plan_update takes exactly these)
    EDITABLE = ("summary", *SWOT, "revenue_target", "budget", "contact_cadence_days")

    def swot(self) -> list[tuple[str, str, list[str]]]:
        """The four lists: (field, label, items), one item per line."""
        return [
            (
                name,
                self._meta.get_field(name).verbose_name,
                [
                    line.strip()
                    for line in getattr(self, name).splitlines()
                    if line.strip()
                ],
            )
            for name in self.SWOT
        ]


class PlanMonth(models.Model):
    """The plan's revenue target for one month."""

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="months"
    )
    month = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "month"], name="one_plan_month"),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12, target__gte=0),
                name="plan_month_valid",
            ),
        ]

    def __str__(self):
        return f"{self.plan} {self.month:02d}: {self.target}"


class PlanObjective(models.Model):
    """A measurable objective: a metric, its target and where it stands."""

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="objectives"
    )
    title = models.CharField(_("objective"), max_length=200)
    metric = models.CharField(_("measured by"), max_length=100)
    target_value = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    actual_value = models.DecimalField(
        _("actual"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    due_on = models.DateField(_("due"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self):
        return self.title

    @property
    def progress(self) -> int | None:
        if self.actual_value is None or not self.target_value:
            return None
        return max(0, min(100, round(self.actual_value / self.target_value * 100)))


class PlanAction(models.Model):
    """A campaign or action with an owner and a due date; it is also a task."""

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", _("Campaign")
        ACTION = "action", _("Action")

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.ACTION
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("due"))
    task = models.OneToOneField(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("campaign or action")
        verbose_name_plural = _("campaigns and actions")

    def __str__(self):
        return self.title


class PlanReview(models.Model):
    """A review meeting with the customer and its minutes."""

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="reviews"
    )
    held_on = models.DateField(_("date"))
    attendees = models.CharField(_("attendees"), max_length=300, blank=True)
    minutes = models.TextField(_("minutes"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["held_on", "pk"]
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")

    def __str__(self):
        return f"{self.plan} {self.held_on}"


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
