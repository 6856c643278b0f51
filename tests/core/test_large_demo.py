"""`seed_demo --scale large`, at a five-hundredth of its size."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Sum

from accounts.models import Account, Contact, OrderLine, Touchpoint
from catalog.models import Package, Product
from contracts.models import Contract, Invoice, InvoiceLine, Subscription
from core.models import Team, User
from core.roles import Role
from demo.large import SIZES, scaled
from insights.models import UpsellItem
from offers.models import Offer, OfferLine

pytestmark = pytest.mark.django_db
FACTOR = 0.002


def large(**extra) -> dict:
    """Counts of what the large dataset added (LRG-… accounts and their rows)."""
    mine = {"account__external_ref__startswith": "LRG-"}
    return {
        "accounts": Account.objects.filter(external_ref__startswith="LRG-").count(),
        "key": Account.objects.filter(external_ref__startswith="LRG-",
                                      is_key_account=True).count(),
        "contacts": Contact.objects.filter(**mine).count(),
        "order_lines": OrderLine.objects.filter(**mine).count(),
        "offers": Offer.objects.filter(**mine).count(),
        "offer_lines": OfferLine.objects.filter(option__offer__account__external_ref__startswith="LRG-").count(),
        "contracts": Contract.objects.filter(**mine).count(),
        "subscriptions": Subscription.objects.filter(**mine).count(),
        "invoices": Invoice.objects.filter(**mine).count(),
        "invoice_lines": InvoiceLine.objects.filter(invoice__account__external_ref__startswith="LRG-").count(),
        "touchpoints": Touchpoint.objects.filter(**mine).count(),
        "products": Product.objects.filter(code__startswith="L-").count(),
        "packages": Package.objects.filter(code__startswith="LP-").count(),
        "invoiced": Invoice.objects.filter(**mine).aggregate(s=Sum("net"))["s"],
        "statuses": dict(Offer.objects.filter(**mine).values_list("status")
                         .annotate(n=Count("pk")).order_by()),
    }  # fmt: skip


def seed():
    call_command("seed_demo", "--scale", "large", "--factor", str(FACTOR),
                 "--seed", "7", "--password", "pw-123456", stdout=StringIO())  # fmt: skip


def test_large_dataset_counts_roles_and_determinism():
    sizes = scaled(FACTOR)
    # a first run, rolled back: the same seed must give the same data again
    with transaction.atomic():
        seed()
        first = large()
        transaction.set_rollback(True)
    seed()
    again = large()
    assert again == first
    assert again["accounts"] == sizes["accounts"] == 100
    assert again["key"] == 16  # 4 in 25, as 8,000 of 50,000
    assert again["contacts"] == 300
    assert again["order_lines"] == 2_000
    assert (again["offers"], again["offer_lines"]) == (200, 600)
    assert (again["contracts"], again["subscriptions"]) == (160, 800)
    assert (again["invoices"], again["invoice_lines"]) == (2_000, 2_000)
    assert again["touchpoints"] == 4_000
    assert (again["products"], again["packages"]) == (3, 1)
    assert {"draft", "sent", "accepted", "declined", "expired",
            "pending_approval"} == set(again["statuses"])  # fmt: skip
    # 150 KAMs in 15 teams with a manager each, 30 customer services
    large_kams = User.objects.filter(username__regex=r"^kam\d{4}$")
    assert large_kams.count() == 150
    assert Team.objects.filter(name__regex=r"^Team \d{2}$").count() == 15
    assert User.objects.filter(groups__name=Role.CUSTOMER_SERVICES).count() == 31
    # the large accounts belong to the large KAMs, evenly
    owners = set(
        Account.objects.filter(external_ref__startswith="LRG-").values_list(
            "owner__username", flat=True
        )
    )
    assert owners <= set(large_kams.values_list("username", flat=True))
    assert len(owners) == 100  # 100 accounts round the 150 KAMs
    # what the nightly jobs compute is there too
    assert UpsellItem.objects.exists()
    # a second run adds nothing
    seed()
    assert large() == again


def test_full_size_is_the_issue_s():
    assert SIZES["accounts"] == 50_000 and SIZES["touchpoints"] == 2_000_000
    assert SIZES["accounts"] * SIZES["key_in_25"] // 25 == 8_000
    full = scaled(1)
    assert full["accounts"] * full["contacts_per_account"] == 150_000
    assert full["offers"] * full["lines_per_offer"] == 300_000
    assert full["contracts"] * full["lines_per_contract"] == 400_000
    assert (full["order_lines"], full["invoices"]) == (1_000_000, 1_000_000)
    assert (full["products"], full["packages"]) == (500, 200)
