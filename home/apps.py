from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The top of the stack: each role's home page and the API's router (they read
    every app below)."""

    name = "home"
    verbose_name = _("Home")
