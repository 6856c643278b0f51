"""Customer services and administrators see who asked for portal sign-in links."""

from django.db import migrations

from core.permissions import grant

PERMISSIONS = {"Administrator": ["view_portallink"], "Customer Services": ["view_portallink"]}


def forwards(apps, schema_editor):
    grant(apps, "portal", PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_portal"), ("core", "0002_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
