"""Account plans (SWOT, monthly targets, objectives, actions, reviews) and the
voice of the customer (NPS answers, feedback). The tables keep the names they
were made with in the insights app."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, Task
from core.access import AccessPaths
from core.history import History
from core.links import object_url
from core.models import TimeStampedModel


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
        db_table = "insights_npsresponse"  # made in insights, kept
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
        db_table = "insights_feedbackitem"  # made in insights, kept
        ordering = ["-raised_on", "-pk"]
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback")

    def __str__(self):
        return self.title


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
    history = History(
        excluded_fields=["updated_at"], table_name="insights_historicalaccountplan"
    )

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        db_table = "insights_accountplan"  # made in insights, kept
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
        return object_url("planning:plan", self.pk)

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
        db_table = "insights_planmonth"  # made in insights, kept
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
        db_table = "insights_planobjective"  # made in insights, kept
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
        db_table = "insights_planaction"  # made in insights, kept
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
        db_table = "insights_planreview"  # made in insights, kept
        ordering = ["held_on", "pk"]
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")

    def __str__(self):
        return f"{self.plan} {self.held_on}"
