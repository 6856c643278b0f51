"""Each offer line states the unit its price is per (catalog.pricing)."""

from django.db import migrations, models

UNITS = [
    ("one_off", "one-off"),
    ("monthly", "per month"),
    ("quarterly", "per quarter"),
    ("yearly", "per year"),
]


def fill(apps, schema_editor):
    """Until now a line's price was per its product's billing period."""
    Line = apps.get_model("offers", "OfferLine")
    for period in ("monthly", "quarterly", "yearly"):
        Line.objects.filter(
            product__kind="subscription", product__billing_period=period
        ).update(price_unit=period)


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0003_offer_delivery_failed"),
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="offerline",
            name="price_unit",
            field=models.CharField(
                choices=UNITS, default="one_off", max_length=10, verbose_name="price per"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="offerline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("price_unit__in", ["one_off", "monthly", "quarterly", "yearly"])
                ),
                name="offer_line_price_unit_valid",
            ),
        ),
    ]
