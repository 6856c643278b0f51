import importlib

from django.apps import apps as django_apps

# the data migrations a flushed (transactional) test loses: roles and their
# permissions, offer templates and approval rules
DATA_MIGRATIONS = [
    ("core.migrations.0002_roles", "create_roles"),
    ("accounts.migrations.0004_role_permissions", "grant"),
    ("offers.migrations.0002_defaults", "forwards"),
    ("contracts.migrations.0002_role_permissions", "forwards"),
    ("renewals.migrations.0002_role_permissions", "forwards"),
    ("insights.migrations.0002_role_permissions", "forwards"),
]


class _LiveRegistry:
    """The live app registry for a data migration's forwards(). It lists no app
    configs, so the migrations skip creating permissions (a flush's post_migrate
    made them already) and leave the real app configs alone."""

    def get_app_configs(self):
        return []

    def get_model(self, *args):
        return django_apps.get_model(*args)


def _defaults_present() -> bool:
    """What the data migrations write is there (3 queries; replaying them is 250)."""
    from django.contrib.auth.models import Permission

    from offers.models import ApprovalRule, OfferTemplate

    granted = set(
        Permission.objects.filter(group__isnull=False)
        .values_list("content_type__app_label", flat=True)
        .distinct()
    )
    return (
        {"accounts", "contracts", "renewals", "insights"} <= granted
        and OfferTemplate.objects.exists()
        and ApprovalRule.objects.exists()
    )


def ensure_defaults():
    """Replay the data migrations (idempotent) after a flush emptied the tables."""
    if _defaults_present():
        return
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(_LiveRegistry(), None)
