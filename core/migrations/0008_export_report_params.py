"""An export names its report and filter instead of a URL asked again by the worker."""

from urllib.parse import parse_qsl, urlsplit

from django.db import migrations, models


def report_from_path(apps, schema_editor):
    Export = apps.get_model("core", "Export")
    for export in Export.objects.filter(report=""):
        url = urlsplit(export.path)
        export.report = url.path.rstrip("/").rsplit("/", 1)[-1][:40]
        export.params = {k: v for k, v in parse_qsl(url.query) if k != "format"}
        export.save(update_fields=["report", "params"])


class Migration(migrations.Migration):
    dependencies = [("core", "0007_export_folder")]

    operations = [
        migrations.AddField(
            model_name="export",
            name="report",
            field=models.CharField(default="", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="export",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(report_from_path, migrations.RunPython.noop),
    ]
