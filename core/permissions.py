"""Role permissions granted by data migrations: one helper for every app's."""

from django.contrib.auth.management import create_permissions


def grant(apps, app_label: str, permissions: dict[str, list[str]]) -> None:
    """Give each role (a group, made where missing) the named permissions of
    `app_label` (codenames such as "view_portallink"), as a data migration."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in permissions.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        )
