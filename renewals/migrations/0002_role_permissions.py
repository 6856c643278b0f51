"""Role permissions for renewal runs, settings and lost accounts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = {
    "Administrator": [
        "view_renewalrun",
        "view_renewalfailure",
        "view_renewalconfig",
        "change_renewalconfig",
        "view_churn",
        "change_churn",
    ],
    "Customer Services": ["view_renewalrun", "view_renewalfailure", "view_churn"],
    "Sales Manager": ["view_renewalrun", "view_renewalfailure", "view_churn"],
    "Key Account Manager": ["view_churn"],
}


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="renewals", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [("renewals", "0001_initial"), ("contracts", "0004_initial_terms")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
