"""Customer services and administrators see who asked for portal sign-in links."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = {"Administrator": ["view"], "Customer Services": ["view"]}


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
                content_type__app_label="portal",
                codename__in=[f"{action}_portallink" for action in actions],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_portal"), ("core", "0002_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
