from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Insights and account planning")

    def ready(self):
        from insights import (
            panels,  # noqa: F401 (registers the 360 panel)
            reports,  # noqa: F401 (registers the reports)
        )
