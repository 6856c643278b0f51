"""Give the roles their permissions on the accounts and catalog models."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = "view"
ALL = ("add", "change", "delete", "view")
MODELS = {
    "accounts": ["account", "contact", "orderline", "touchpoint", "document", "task",
                 "handoff", "portfolioconfig", "timelineentry"],
    "catalog": ["product", "productprice", "productfamily", "package", "packageversion",
                "packageitem", "exchangerate"],
}
ROLES = {
    "Administrator": {app: {m: ALL for m in models} for app, models in MODELS.items()},
    "Customer Services": {app: {m: (VIEW,) for m in models} for app, models in MODELS.items()},
    "Sales Manager": {
        "accounts": {m: (VIEW,) for m in MODELS["accounts"]},
        "catalog": {m: (VIEW,) for m in MODELS["catalog"]},
    },
    "Key Account Manager": {
        "accounts": {m: (VIEW,) for m in MODELS["accounts"]},
        "catalog": {m: (VIEW,) for m in MODELS["catalog"]},
    },
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, apps_models in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        for app_label, models in apps_models.items():
            for model, actions in models.items():
                codenames = [f"{a}_{model}" for a in actions]
                group.permissions.add(
                    *Permission.objects.filter(
                        content_type__app_label=app_label, codename__in=codenames
                    )
                )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_account_360"),
        ("catalog", "0001_initial"),
        ("core", "0004_calendar_token_unique"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
