"""Who keeps the seller profile: administrators enter and change it, customer
services (who issue the invoices) change it too, everyone with admin access sees
it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = {
    "Administrator": ["view", "add", "change"],
    "Customer Services": ["view", "add", "change"],
    "Sales Manager": ["view"],
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
                content_type__app_label="core",
                codename__in=[f"{action}_sellerprofile" for action in actions],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0009_einvoice_data")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
