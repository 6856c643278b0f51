"""The large demo dataset (`seed_demo --scale large`): a company of the size the
benchmarks measure, written with COPY in a few minutes.

On top of the small demo (whose logins keep working): 15 teams of 10 KAMs with
their managers and 30 customer-services users; 50,000 accounts (8,000 key
accounts) with 150,000 contacts; 500 products in 25 families and 200 packages;
1,000,000 order lines; 100,000 offers with 300,000 lines; 80,000 contracts with
400,000 lines and subscriptions; 1,000,000 invoices with a line each; 2,000,000
touchpoints. The same seed gives the same data (dates count from today).

`factor` scales every count (the tests use a small one). PostgreSQL only.
"""

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from random import Random

from django.db import connection
from django.utils import timezone

from accounts.models import Account, Contact, OrderLine
from catalog.models import (
    Package,
    PackageItem,
    PackageVersion,
    Product,
    ProductFamily,
    ProductPrice,
)
from contracts.models import (
    Contract,
    ContractLine,
    ContractTerm,
    Subscription,
)
from contracts.services import seeding
from core.bulk import load_rows
from core.models import User
from offers.models import Offer, OfferEvent, OfferLine, OfferOption

SIZES = {
    "accounts": 50_000,
    "key_in_25": 4,  # 4 of every 25 accounts are key accounts: 8,000
    "contacts_per_account": 3,
    "families": 25,
    "products": 500,
    "packages": 200,
    "order_lines": 1_000_000,
    "offers": 100_000,
    "lines_per_offer": 3,
    "contracts": 80_000,
    "lines_per_contract": 5,
    "invoices": 1_000_000,
    "touchpoints": 2_000_000,
}
CHUNK = 100_000  # rows generated and copied at a time (memory stays flat)
INDUSTRIES = ["Publishing", "Software", "Healthcare", "Banking", "Energy",
              "Logistics", "Education", "Insurance"]  # fmt: skip
CITIES = ["Hamburg", "Berlin", "München", "Köln", "Frankfurt", "Stuttgart",
          "Leipzig", "Bremen"]  # fmt: skip
CHANNELS = ["call", "meeting", "email", "visit", "video"]
OFFER_STATUSES = ["draft", "sent", "accepted", "declined", "expired", "sent",
                  "accepted", "pending_approval"]  # fmt: skip


def scaled(factor: float) -> dict:
    sizes = {k: v if k.endswith(("_per_account", "_per_offer", "_per_contract",
                                   "_in_25")) else max(1, int(v * factor))
             for k, v in SIZES.items()}  # fmt: skip
    sizes["products"] = max(sizes["products"], 3)  # a package holds three
    sizes["families"] = min(sizes["families"], sizes["products"])
    return sizes


def _chunks(rows: Iterator, size: int = CHUNK) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _load(
    model, rows: Iterator[dict], *, returning: bool = False, load=load_rows
) -> list[int]:
    """Load rows in batches; the contracts app's tables through its own loader
    (`load=seeding.seeded_rows_load`)."""
    ids = []
    for batch in _chunks(rows):
        ids.extend(load(model, batch, returning=returning))
    return ids


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, day_time(hour), tzinfo=UTC)


def seed_large(ctx, *, factor: float = 1.0, say: Callable[[str], None] = print) -> dict:
    """Write the large dataset; return the number of rows per table."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The large demo dataset needs PostgreSQL.")
    with connection.cursor() as cursor:
        # checked row by row: millions of deferred checks would queue up in memory
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    sizes = scaled(factor)
    rng = Random(ctx.rng.random())  # noqa: S311 (demo data, not secrets)
    today = date.today()
    counts = {}
    started = time.perf_counter()

    def step(name: str, rows: int):
        counts[name] = rows
        say(f"  {name}: {rows:,} rows ({time.perf_counter() - started:.0f} s)")

    kams = list(
        User.objects.filter(username__regex=r"^kam\d{4}$")
        .order_by("username")
        .values_list("pk", flat=True)
    )
    if not kams:
        raise RuntimeError("The large sales force (kam0101 …) is missing.")

    # catalog
    families = [
        ProductFamily.objects.create(code=f"lf{i:02d}", name=f"Line {i + 1:02d}").pk
        for i in range(sizes["families"])
    ]
    products = _load(
        Product,
        (
            {"code": f"L-{i:04d}", "name": f"Line {i % len(families) + 1:02d} "
             f"product {i:03d}", "family_id": families[i % len(families)],
             "kind": "subscription", "billing_period": "yearly", "unit": "seat",
             "tax_rate": Decimal(19), "is_active": True}
            for i in range(sizes["products"])
        ),
        returning=True,
    )  # fmt: skip
    prices = {p: Decimal(60 + (i * 37) % 900) for i, p in enumerate(products)}
    _load(ProductPrice, ({"product_id": p, "currency": "EUR", "list_price": price}
                         for p, price in prices.items()))  # fmt: skip
    packages = _load(Package, ({"code": f"LP-{i:03d}", "name": f"Bundle {i + 1:03d}",
                                "description": "Three products at a package price."}
                               for i in range(sizes["packages"])),
                     returning=True)  # fmt: skip
    versions = _load(PackageVersion, ({"package_id": p, "number": 1, "currency": "EUR",
                                       "price_mode": "discount",
                                       "discount_percent": Decimal(10 + i % 3 * 5)}
                                      for i, p in enumerate(packages)),
                     returning=True)  # fmt: skip
    _load(PackageItem, ({"version_id": v, "product_id": products[(i * 3 + j) %
                         len(products)], "quantity": Decimal(1 + j)}
                        for i, v in enumerate(versions) for j in range(3)))  # fmt: skip
    step("products", len(products))

    # accounts and contacts
    n = sizes["accounts"]

    def account(i):
        key = i % 25 < sizes["key_in_25"]
        return {
            "name": f"{CITIES[i % len(CITIES)]} {INDUSTRIES[i % len(INDUSTRIES)]} "
            f"{i:05d}",
            "legal_name": f"{CITIES[i % len(CITIES)]} {INDUSTRIES[i % 8]} {i:05d} GmbH",
            "street": f"Hauptstraße {i % 200 + 1}",
            "postal_code": f"{10000 + i % 89999}",
            "city": CITIES[i % len(CITIES)], "country": "DE", "currency": "EUR",
            "language": "de", "industry": INDUSTRIES[i % len(INDUSTRIES)],
            "owner_id": kams[i % len(kams)], "is_key_account": key,
            "tier": "A" if key else "B" if i % 5 == 0 else "C",
            "lifecycle": "customer", "external_ref": f"LRG-{i:06d}",
            "revenue_12m": Decimal(rng.randint(2_000, 400_000 if key else 60_000)),
            "revenue_prev_12m": Decimal(rng.randint(2_000, 400_000 if key else 60_000)),
            "revenue_potential": Decimal(
                rng.randint(50_000, 900_000 if key else 90_000)
            ),
            "attractiveness": rng.randint(0, 100), "position": rng.randint(0, 100),
            "last_touch_at": _at(today - timedelta(days=rng.randint(0, 120)), 10),
        }  # fmt: skip

    accounts = _load(Account, (account(i) for i in range(n)), returning=True)
    owner = {a: kams[i % len(kams)] for i, a in enumerate(accounts)}
    step("accounts", n)
    roles = ["decision_maker", "purchasing", "user"]
    per = sizes["contacts_per_account"]
    contacts = _load(
        Contact,
        (
            {"account_id": a, "first_name": f"Vorname{j}", "last_name": f"Kontakt {i}",
             "job_title": roles[j].replace("_", " ").title(),
             "email": f"c{i}-{j}@lrg{i}.example", "phone": f"+49 40 {i:07d}",
             "role": roles[j], "external_ref": f"LRG-{i:06d}-C{j}"}
            for i, a in enumerate(accounts) for j in range(per)
        ),
        returning=True,
    )  # fmt: skip
    decider = {a: contacts[i * per] for i, a in enumerate(accounts)}
    step("contacts", len(contacts))

    _load(OrderLine, (
        {"account_id": accounts[i % n], "ordered_on":
         today - timedelta(days=rng.randint(0, 1000)),
         "product_id": products[rng.randrange(len(products))],
         "quantity": Decimal(rng.randint(1, 20)),
         "net_amount": Decimal(rng.randint(50, 8000)), "currency": "EUR",
         "external_ref": f"LOL-{i:07d}"}
        for i in range(sizes["order_lines"])
    ))  # fmt: skip
    step("order lines", sizes["order_lines"])

    # offers: one option of three lines each; approvals and decisions in the log
    offer_rows = []
    for i in range(sizes["offers"]):
        a = accounts[i % n]
        status = OFFER_STATUSES[i % len(OFFER_STATUSES)]
        created = _at(today - timedelta(days=rng.randint(0, 700)), 9)
        offer_rows.append({
            "number": f"OF-L-{i:06d}", "account_id": a, "contact_id": decider[a],
            "title": f"Offer {i:06d}", "status": status, "language": "de",
            "currency": "EUR", "valid_until": created.date() + timedelta(days=30),
            "start_on": created.date() + timedelta(days=40), "duration_months": 12,
            "billing_period": "yearly", "auto_renew": True, "notice_days": 90,
            "created_by_id": owner[a], "created_at": created,
            "sent_at": created + timedelta(days=2)
            if status not in ("draft", "pending_approval") else None,
        })  # fmt: skip
    offers = _load(
        Offer,
        ({**r, "status": "sent"} if r["status"] == "accepted" else r
         for r in offer_rows),
        returning=True,
    )  # fmt: skip
    options = _load(OfferOption, ({"offer_id": o, "name": "Standard"} for o in offers),
                    returning=True)  # fmt: skip
    k = sizes["lines_per_offer"]
    _load(OfferLine, (
        {"option_id": opt, "product_id": (p := products[(i * 7 + j) % len(products)]),
         "description": f"Seats {j + 1}", "quantity": Decimal(rng.randint(1, 40)),
         "unit_price": prices[p], "discount_percent":
         Decimal(rng.choice([0, 0, 5, 10, 15, 25])), "tax_rate": Decimal(19),
         "price_unit": "yearly",
         "position": j + 1}
        for i, opt in enumerate(options) for j in range(k)
    ))  # fmt: skip

    def events():
        for i, (o, row) in enumerate(zip(offers, offer_rows, strict=True)):
            if row["status"] == "draft":
                continue
            asked = row["created_at"] + timedelta(hours=1)
            if i % 4 == 0 or row["status"] == "pending_approval":
                yield {"offer_id": o, "to_status": "pending_approval", "at": asked}
                if row["status"] != "pending_approval":
                    yield {
                        "offer_id": o,
                        "to_status": "approved",
                        "at": asked + timedelta(hours=rng.randint(1, 48)),
                    }
            if row["status"] != "pending_approval":
                yield {"offer_id": o, "to_status": "sent", "at": row["sent_at"]}
            if row["status"] in ("accepted", "declined", "expired"):
                yield {
                    "offer_id": o,
                    "to_status": row["status"],
                    "at": row["created_at"] + timedelta(days=rng.randint(5, 40)),
                }

    _load(OfferEvent, events())
    accepted = [o for o, r in zip(offers, offer_rows, strict=True)
                if r["status"] == "accepted"]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE offers_offer o SET status = 'accepted', accepted_option_id = p.id, "
            "answered_at = o.sent_at + interval '7 days', answer_channel = 'web' "
            "FROM offers_offeroption p WHERE p.offer_id = o.id AND o.id = ANY(%s)",
            [accepted],
        )
    step("offers", len(offers))

    # contracts with their lines, subscriptions and first term
    contract_rows = []
    for i in range(sizes["contracts"]):
        a = accounts[i % n]
        end = today + timedelta(days=rng.randint(-300, 540))
        start = end - timedelta(days=364)
        contract_rows.append({
            "number": f"CT-L-{i:06d}", "account_id": a, "contact_id": decider[a],
            "title": f"Subscription {i:06d}",
            "status": "ended" if end < today else "active", "currency": "EUR",
            "start_on": start, "end_on": end, "duration_months": 12,
            "billing_period": "yearly", "auto_renew": i % 3 != 0, "notice_days": 90,
            "cancel_by": end - timedelta(days=90),
        })  # fmt: skip
    contracts = _load(
        Contract, iter(contract_rows), returning=True, load=seeding.seeded_rows_load
    )
    lines, arr = [], {}
    m = sizes["lines_per_contract"]
    for ci, (c, row) in enumerate(zip(contracts, contract_rows, strict=True)):
        for j in range(m):
            product = products[(ci * 7 + j * 11) % len(products)]
            qty = Decimal(rng.randint(1, 60))
            yearly = prices[product] * qty
            # one subscription in 40 is a trial
            lines.append((c, row, product, qty, yearly, j, (ci * m + j) % 40 == 0))
            arr[c] = arr.get(c, Decimal(0)) + yearly
    line_ids = _load(ContractLine, (
        {"contract_id": c, "product_id": product, "description": f"Seats {j + 1}",
         "quantity": qty, "unit_price": prices[product],
         "discount_percent": Decimal(0), "tax_rate": Decimal(19), "position": j + 1,
         "price_unit": "yearly"}
        for c, _row, product, qty, _yearly, j, _trial in lines
    ), returning=True, load=seeding.seeded_rows_load)  # fmt: skip
    _load(Subscription, (
        {"contract_id": c, "contract_line_id": line, "account_id": row["account_id"],
         "product_id": product, "status": "ended" if row["status"] == "ended"
         else ("trial" if trial else "active"),
         "quantity": qty, "currency": "EUR", "billing_period": "yearly",
         "period_amount": yearly, "tax_rate": Decimal(19),
         "mrr": (yearly / 12).quantize(Decimal("0.01")),
         "start_on": row["start_on"], "end_on": row["end_on"],
         "trial_ends_on": row["start_on"] + timedelta(days=30)
         if trial else None}
        for line, (c, row, product, qty, yearly, _j, trial) in zip(line_ids, lines,
                                                                    strict=True)
    ), load=seeding.seeded_rows_load)  # fmt: skip
    _load(ContractTerm, (
        {"contract_id": c, "sequence": 1, "kind": "initial",
         "start_on": row["start_on"], "end_on": row["end_on"],
         "cancel_by": row["cancel_by"], "arr": arr[c]}
        for c, row in zip(contracts, contract_rows, strict=True)
    ), load=seeding.seeded_rows_load)  # fmt: skip
    step("contracts", len(contracts))
    step("subscriptions", len(line_ids))

    seeding.seeded_invoices_generate(
        contracts, [row["account_id"] for row in contract_rows],
        total=sizes["invoices"], today=today,
    )  # fmt: skip
    step("invoices", sizes["invoices"])

    # touchpoints by INSERT … SELECT: made row by row in Python for COPY, the
    # 2,000,000 took 100 s; the day back (0–1,000) is spread by a fixed formula
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_touchpoint (created_at, updated_at, account_id, "
            "created_by_id, occurred_at, channel, subject, notes, outcome) "
            "SELECT %(now)s, %(now)s, acc.id, acc.owner, "
            "(%(today)s::date - ((i * 7919 + 104729) %% 1001)::int "
            " + make_interval(hours => 8 + (i %% 9)::int)) AT TIME ZONE 'UTC', "
            "(%(channels)s::text[])[1 + (i %% %(c)s)::int], "
            "'Check-in ' || (i %% 97), '', '' "
            "FROM generate_series(0::bigint, %(total)s - 1) AS i "
            "JOIN unnest(%(accounts)s::bigint[], %(owners)s::bigint[]) "
            "WITH ORDINALITY AS acc(id, owner, k) ON acc.k = i %% %(n)s + 1",
            {"now": timezone.now(), "today": today, "channels": CHANNELS,
             "c": len(CHANNELS), "total": sizes["touchpoints"], "n": n,
             "accounts": accounts, "owners": [owner[a] for a in accounts]},
        )  # fmt: skip
    step("touchpoints", sizes["touchpoints"])
    return counts
