"""Role permissions for contracts, subscriptions and invoices."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ("contract", "subscription", "invoice")
PERMISSIONS = {
    "Administrator": ["view", "change"],
    "Customer Services": ["view", "change"],
    "Sales Manager": ["view"],
    "Key Account Manager": ["view"],
}


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="contracts",
                codename__in=[f"{a}_{m}" for a in actions for m in MODELS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial"), ("offers", "0002_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
