from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _install_versions(using="default", **kwargs):
    from accounts import versions

    versions.install(using)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from accounts import sections  # noqa: F401 (the 360's own lazy sections)

        # after every migrate (all apps' tables are there by then): the triggers
        # that raise the account's version
        post_migrate.connect(_install_versions, sender=self,
                             dispatch_uid="accounts.versions")  # fmt: skip
