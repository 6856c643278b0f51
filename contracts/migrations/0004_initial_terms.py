"""Give every finalized contract its first term record (renewals add the next)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    ContractTerm = apps.get_model("contracts", "ContractTerm")
    ContractTerm.objects.bulk_create(
        ContractTerm(
            contract_id=c.pk,
            sequence=1,
            kind="initial",
            start_on=c.start_on,
            end_on=c.end_on,
            cancel_by=c.cancel_by,
        )
        for c in Contract.objects.filter(
            status__in=["finalized", "active", "ended", "renewed"], terms__isnull=True
        )
    )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_terms_and_notice")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
