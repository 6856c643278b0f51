"""The customer portal's sign-in links."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact


class PortalLink(models.Model):
    """A one-time sign-in link sent to a contact: kept as its SHA-256 only, valid
    for KAM_PORTAL_LINK_MINUTES, used once."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="portal_links"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("portal sign-in link")
        verbose_name_plural = _("portal sign-in links")
        indexes = [
            models.Index(fields=["contact", "created_at"], name="portal_link_sent_idx")
        ]

    def __str__(self):
        return f"{self.contact} {self.created_at:%Y-%m-%d %H:%M}"
