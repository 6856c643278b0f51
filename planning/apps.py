from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    """Account plans and the voice of the customer: written by KAMs, read by the
    reports above (insights)."""

    name = "planning"
    verbose_name = _("Account plans and the voice of the customer")

    def ready(self):
        from planning import panels  # noqa: F401 (registers the folded forms)
