"""The moved models keep their content types (and with them the roles'
permissions, admin log entries and history): relabelled from insights."""

from django.db import migrations

MOVED = ["accountplan", "historicalaccountplan", "planmonth", "planobjective",
         "planaction", "planreview", "npsresponse", "feedbackitem"]  # fmt: skip


def relabel(apps, schema_editor, old="insights", new="planning"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if ContentType.objects.filter(app_label=new, model=model).exists():
            continue  # made already (by a permission check run in between)
        ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def back(apps, schema_editor):
    relabel(apps, schema_editor, old="planning", new="insights")


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0001_initial"),
        ("insights", "0005_plans_and_voice_to_planning"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(relabel, back)]
