"""Who keeps the seller profile: administrators and customer services (who issue
the invoices) enter and change it; sales managers see it."""

from django.db import migrations

from core.permissions import grant

PERMISSIONS = {
    "Administrator": ["view_sellerprofile", "add_sellerprofile", "change_sellerprofile"],
    "Customer Services": [
        "view_sellerprofile", "add_sellerprofile", "change_sellerprofile",
    ],
    "Sales Manager": ["view_sellerprofile"],
}  # fmt: skip


def forwards(apps, schema_editor):
    grant(apps, "core", PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("core", "0009_einvoice_data")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
