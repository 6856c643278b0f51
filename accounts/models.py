from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.core.access import AccessPaths
from kam.core.models import TimeStampedModel


class Account(TimeStampedModel):
    """A customer account, looked after by one key account manager."""

    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
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

    history = HistoricalRecords()
    access = AccessPaths(owner="owner", deputy="deputy")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["owner", "name"], name="account_owner_name_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(deputy=models.F("owner")),
                name="account_deputy_not_owner",
                violation_error_message=_(
                    "The deputy must be another person than the owner."
                ),
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:detail", args=[self.pk])
