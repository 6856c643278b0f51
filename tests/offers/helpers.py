import importlib

from offers.models import ApprovalRule, OfferTemplate

defaults = importlib.import_module("offers.migrations.0002_defaults")


def ensure_defaults():
    """Templates and rules as the data migration makes them (flushed tests lose them)."""
    for kind, language, subject, body, closing in defaults.TEMPLATES:
        OfferTemplate.objects.get_or_create(
            kind=kind,
            language=language,
            defaults={"subject": subject, "body": body, "closing": closing},
        )
    if not ApprovalRule.objects.exists():
        for name, kind, threshold in defaults.RULES:
            ApprovalRule.objects.create(name=name, kind=kind, threshold=threshold)
