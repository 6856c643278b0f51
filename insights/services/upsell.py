"""Nightly upsell rows: the company-wide upsell report reads them."""

import json

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from core.bulk import db_datetime, id_list, insert_rows
from insights.models import UpsellItem
from insights.selectors.upsell import account_rows, upsell_sections

BATCH = 5000
COLUMNS = ["account_id", "kind", "title", "args", "value", "product_id", "quantity",
           "contact_id", "due_on", "computed_at"]  # fmt: skip


def upsell_recompute(*, today=None) -> int:
    """Replace every upsell row with today's (one transaction: readers see the old
    rows until the new ones are complete; a rerun writes the same rows)."""
    today = today or timezone.localdate()
    now = db_datetime(timezone.now())
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    items = []
    for i in range(0, len(ids), BATCH):
        chunk = id_list(ids[i : i + BATCH])
        accounts = account_rows(Account.objects.filter(pk__in=chunk))
        for rows in upsell_sections(accounts, today=today).values():
            items.extend(
                (
                    r.account.pk,
                    str(r.kind),
                    # the wallet's title is worded when shown, in the reader's language
                    "" if r.kind == UpsellItem.Kind.WALLET else r.title[:300],
                    json.dumps(r.args),
                    r.value,
                    r.product_id,
                    r.quantity,
                    r.contact_id,
                    r.due_on,
                    now,
                )
                for r in rows
            )
    with transaction.atomic():
        UpsellItem.objects.all().delete()
        insert_rows(UpsellItem, COLUMNS, items)
    return len(items)
