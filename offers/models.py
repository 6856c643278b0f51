from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, Document
from catalog import pricing
from catalog.models import BillingPeriod, PackageVersion, PricedLine, Product
from core.access import AccessPaths
from core.links import object_url
from core.models import OutboundMessage, StatusEvent, TimeStampedModel


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
    TRANSITION_REFUSED = _("An offer that is %(status)s cannot become %(to)s.")
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
    approval_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # who changed the offer since its last approval: none of them may approve it
    changed_by_ids = models.JSONField(default=list, blank=True)
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
            # the offer list's pages by key (core.paging)
            models.Index(fields=["updated_at", "id"], name="offer_updated_id_idx"),
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

    def figures(self) -> pricing.Figures:
        """What the customer is offered: per billing period, per year and for the
        term the offer proposes (catalog.pricing, the one price model)."""
        offer = self.offer
        return pricing.figures(
            self.lines.all(),
            start_on=offer.start_on,
            months=offer.duration_months,
            billing_period=offer.billing_period,
        )

    def totals(self) -> dict:
        """The term's net, tax and gross (the sums of its planned invoices), the
        list value and discount over the term, and the figures behind them."""
        return totals_of(self.figures())


def totals_of(figures: pricing.Figures) -> dict:
    return {
        "list": figures.list_term,
        "discount": figures.discount,
        "net": figures.term.net,
        "tax": figures.term.tax,
        "gross": figures.term.gross,
        "discount_percent": figures.discount_percent,
        "figures": figures,
    }


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
            models.CheckConstraint(
                condition=models.Q(
                    price_unit__in=["one_off", "monthly", "quarterly", "yearly"]
                ),
                name="offer_line_price_unit_valid",
            ),
        ]


class OfferEvent(StatusEvent):
    """One status change of an offer (who, when, from, to, why)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        pass

    def __str__(self):
        return f"{self.offer_id}: {self.from_status} → {self.to_status}"


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


class InboundMail(models.Model):
    """A mail that came in through the inbound webhook, kept once per Message-ID.

    Only a reply to one of our own e-mails (In-Reply-To/References) goes on the
    timeline as the customer's word by itself; anything else waits here for its
    KAM to read it and either put it on the timeline or dismiss it."""

    class Status(models.TextChoices):
        TO_REVIEW = "to_review", _("To review")
        ON_TIMELINE = "on_timeline", _("On the timeline")
        DISMISSED = "dismissed", _("Dismissed")

    TRANSITIONS = {
        Status.TO_REVIEW: {Status.ON_TIMELINE, Status.DISMISSED},
        Status.ON_TIMELINE: set(),
        Status.DISMISSED: set(),
    }
    TRANSITION_REFUSED = _("A mail that is %(status)s cannot become %(to)s.")

    message_id = models.CharField(max_length=250, null=True, blank=True, unique=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    from_email = models.CharField(_("from"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # how it was tied to the offer: answering our Message-ID, or only named in it
    is_answer = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.TO_REVIEW
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    access = AccessPaths(owner="account__owner", deputy="account__deputy")

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mail")
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["to_review", "on_timeline", "dismissed"]
                ),
                name="inbound_status_valid",
            ),
            # only an answer to our own e-mail goes on the timeline unreviewed
            models.CheckConstraint(
                condition=models.Q(is_answer=False)
                | models.Q(status="on_timeline", decided_by__isnull=True),
                name="inbound_answer_on_timeline",
            ),
        ]

    def __str__(self):
        return f"{self.from_email}: {self.subject}"
