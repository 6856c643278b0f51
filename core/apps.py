from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from core import checks  # noqa: F401  (registers the deploy checks)
        from core.oidc import mark_company_sign_in

        user_logged_in.connect(mark_company_sign_in, dispatch_uid="kam-oidc-2fa")
