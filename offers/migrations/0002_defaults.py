"""Default offer templates (English, German), approval rules and role permissions."""

from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

TEMPLATES = [
    ("email", "en", "Our offer {{ offer_number }}: {{ offer_title }}",
     "Dear {{ contact_name }},\n\nthank you for your time. As discussed, please find our offer "
     "{{ offer_number }} attached.\n\nYou can choose your option and accept it online until "
     "{{ valid_until }}:\n{{ acceptance_link }}\n\nI am happy to answer any question.\n\n"
     "Kind regards\n{{ kam_name }}\n{{ kam_email }} · {{ kam_phone }}", ""),
    ("email", "de", "Unser Angebot {{ offer_number }}: {{ offer_title }}",
     "Guten Tag {{ contact_name }},\n\nvielen Dank für das Gespräch. Wie besprochen erhalten Sie "
     "anbei unser Angebot {{ offer_number }}.\n\nSie können Ihre Option bis zum {{ valid_until }} "
     "online auswählen und annehmen:\n{{ acceptance_link }}\n\nFür Fragen bin ich gern für Sie da.\n\n"
     "Mit freundlichen Grüßen\n{{ kam_name }}\n{{ kam_email }} · {{ kam_phone }}", ""),
    ("document", "en", "Offer: {{ offer_title }}",
     "Dear {{ contact_name }},\n\nthank you for your interest. We are pleased to offer "
     "{{ customer_name }} the following options, starting on {{ start_date }} for "
     "{{ duration_months }} months.",
     "This offer is valid until {{ valid_until }}. We look forward to working with you.\n\n"
     "{{ kam_name }}"),
    ("document", "de", "Angebot: {{ offer_title }}",
     "Guten Tag {{ contact_name }},\n\nvielen Dank für Ihr Interesse. Gern bieten wir "
     "{{ customer_name }} die folgenden Optionen an, Beginn am {{ start_date }}, Laufzeit "
     "{{ duration_months }} Monate.",
     "Dieses Angebot gilt bis zum {{ valid_until }}. Wir freuen uns auf die Zusammenarbeit.\n\n"
     "{{ kam_name }}"),
]
RULES = [
    ("Line discount above 15 %", "line_discount", Decimal("15")),
    ("Overall discount above 20 %", "overall_discount", Decimal("20")),
    ("Net total above 100,000 EUR", "total", Decimal("100000")),
]
PERMISSIONS = {
    "Administrator": ["add", "change", "delete", "view"],
    "Customer Services": ["view"],
    "Sales Manager": ["view"],
    "Key Account Manager": ["view"],
}


def forwards(apps, schema_editor):
    OfferTemplate = apps.get_model("offers", "OfferTemplate")
    for kind, language, subject, body, closing in TEMPLATES:
        OfferTemplate.objects.get_or_create(
            kind=kind, language=language,
            defaults={"subject": subject, "body": body, "closing": closing},
        )
    ApprovalRule = apps.get_model("offers", "ApprovalRule")
    if not ApprovalRule.objects.exists():
        for name, kind, threshold in RULES:
            ApprovalRule.objects.create(name=name, kind=kind, threshold=threshold)
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for model in ("offer", "offertemplate", "approvalrule"):
            group.permissions.add(*Permission.objects.filter(
                content_type__app_label="offers", codename__in=[f"{a}_{model}" for a in actions]
            ))


class Migration(migrations.Migration):
    dependencies = [("offers", "0001_initial"), ("accounts", "0004_role_permissions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
