"""Create the four role groups and give them their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Key Account Manager": ["accounts.view_account", "accounts.change_account"],
    "Sales Manager": [
        "accounts.view_account",
        "accounts.change_account",
        "core.view_team",
        "core.view_user",
    ],
    "Customer Services": [
        "accounts.view_account",
        "core.view_team",
        "core.view_user",
        "core.view_outboundmessage",
    ],
    "Administrator": [
        "accounts.add_account",
        "accounts.change_account",
        "accounts.delete_account",
        "accounts.view_account",
        "auth.view_group",
        "core.add_team",
        "core.change_team",
        "core.view_team",
        "core.add_user",
        "core.change_user",
        "core.view_user",
        "core.view_outboundmessage",
        "core.change_outboundmessage",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure they exist.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("accounts", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
