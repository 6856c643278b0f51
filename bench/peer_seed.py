"""Equal data for the admin-based CRM that `bench/peer.py` compares KAM with
(DjangoCRM, django-crm-admin on PyPI): run by the peer's own Python, in its
project (var/peer/site), after its `migrate` and `setupdata`.

The same shape as KAM's large dataset: 50,000 companies, 150,000 contacts,
100,000 deals and 1,000,000 payments, owned by 150 sales managers of one
department (as KAM's 150 key account managers own its 50,000 accounts).
Prints the users and object ids the benchmark asks for, as JSON.
"""

import json
import random
import sys
from datetime import date, timedelta
from decimal import Decimal

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402

COMPANIES, CONTACTS, DEALS, PAYMENTS, MANAGERS = (
    50_000,
    150_000,
    100_000,
    1_000_000,
    150,
)
PASSWORD = sys.argv[1] if len(sys.argv) > 1 else "peer-demo"
BATCH = 5000

User = get_user_model()
Company = apps.get_model("crm.Company")
Contact = apps.get_model("crm.Contact")
Deal = apps.get_model("crm.Deal")
Payment = apps.get_model("crm.Payment")
Stage = apps.get_model("crm.Stage")
Currency = apps.get_model("crm.Currency")
rng = random.Random(7)


def managers() -> list:
    """150 sales managers like setupdata's local one (its groups: its department)."""
    model = User.objects.get(username="IamLocalSALES")
    groups = list(model.groups.all())
    users = list(User.objects.filter(username__startswith="mgr").order_by("pk"))
    for i in range(len(users), MANAGERS):
        user = User.objects.create_user(f"mgr{i:04d}", f"mgr{i:04d}@example.com",
                                        PASSWORD, is_staff=True)  # fmt: skip
        user.groups.set(groups)
        users.append(user)
    model.set_password(PASSWORD)
    model.save()
    superuser = User.objects.get(username="IamSUPER")
    superuser.set_password(PASSWORD)
    superuser.save()
    return users


def _rows(model, count: int, build) -> list:
    """The model's first `count` rows, created (in batches) if not there yet."""
    have = model.objects.count()
    if have < count:
        print(f"{model.__name__}: {count - have:,} rows", file=sys.stderr, flush=True)
        for start in range(have, count, 50_000):
            model.objects.bulk_create(
                [build(i) for i in range(start, min(start + 50_000, count))],
                batch_size=BATCH,
            )
    return list(model.objects.order_by("pk")[:count])


def seed(owners) -> None:
    department = owners[0].groups.filter(department__isnull=False).first()
    stage = Stage.objects.filter(department=department).first() or Stage.objects.first()
    currency = Currency.objects.get(name="EUR")
    today = date(2026, 12, 1)
    companies = _rows(
        Company,
        COMPANIES,
        lambda i: Company(
            full_name=f"Company {i:05d} GmbH",
            email=f"info@c{i}.example",
            city_name="Hamburg",
            owner=owners[i % len(owners)],
            department=department,
        ),
    )
    contacts = _rows(
        Contact,
        CONTACTS,
        lambda i: Contact(
            first_name=f"First{i}",
            last_name=f"Last{i}",
            email=f"p{i}@c{i % COMPANIES}.example",
            company=companies[i % COMPANIES],
            owner=companies[i % COMPANIES].owner,
            department=department,
        ),
    )
    deals = _rows(
        Deal,
        DEALS,
        lambda i: Deal(
            name=f"Deal {i}",
            next_step="Call",
            next_step_date=today,
            ticket=f"T{i:09d}",
            company=companies[i % COMPANIES],
            contact=contacts[i % CONTACTS],
            owner=companies[i % COMPANIES].owner,
            department=department,
            stage=stage,
            currency=currency,
            amount=Decimal(rng.randint(1000, 90000)),
        ),
    )
    if Payment.objects.count() < PAYMENTS:
        _rows(
            Payment,
            PAYMENTS,
            lambda i: Payment(
                deal=deals[i % DEALS],
                amount=Decimal(rng.randint(10, 9000)),
                currency=currency,
                payment_date=today - timedelta(days=i % 700),
            ),
        )


def main() -> None:
    owners = managers()
    seed(owners)

    def first_ids(model, user) -> list[int]:
        rows = model.objects.filter(owner=user).order_by("pk")
        return list(rows.values_list("pk", flat=True)[:20])

    data = {
        "password": PASSWORD,
        "managers": [u.username for u in owners],
        "superuser": "IamSUPER",
        "companies": {u.username: first_ids(Company, u) for u in owners},
        "deals": {u.username: first_ids(Deal, u) for u in owners},
        "counts": {
            "companies": Company.objects.count(),
            "contacts": Contact.objects.count(),
            "deals": Deal.objects.count(),
            "payments": Payment.objects.count(),
        },
    }
    print(json.dumps(data))


main()
