"""Role permissions for the health score settings and the voice of the customer."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = {
    "Administrator": [
        "view_healthconfig",
        "change_healthconfig",
        "add_healthconfig",
        "view_churntarget",
        "view_npsresponse",
        "change_npsresponse",
        "view_feedbackitem",
        "change_feedbackitem",
    ],
    "Customer Services": ["view_npsresponse", "view_feedbackitem"],
    "Sales Manager": ["view_churntarget"],
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
                content_type__app_label="insights", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial"), ("renewals", "0002_role_permissions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
