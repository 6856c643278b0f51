from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo and large-dataset seeding (`seed_demo`), installed last: it writes
    through every app's services, and no app imports it."""

    name = "demo"
    verbose_name = _("Demo data")
