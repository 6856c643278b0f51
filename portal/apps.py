from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customer portal: key account contacts sign in by a one-time link and
    see their account's offers, contracts, subscriptions and invoices. It writes
    through the apps below (acceptance, signing, notice, NPS, tasks)."""

    name = "portal"
    verbose_name = _("Customer portal")
