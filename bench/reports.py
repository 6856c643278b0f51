"""The insights reports on a large dataset (not run by the suite).

    python bench/reports.py [--accounts 50000] [--runs 5] [--reuse]

Builds a fresh PostgreSQL database `kam_bench_reports` with COPY: 15 teams (150
KAMs, 15 managers), 50,000 accounts (8,000 key accounts) with a contact each, 50
products in 10 families, 80,000 contracts with their terms, 400,000 contract lines
and subscriptions, 200,000 order lines, 100,000 offers with 300,000 lines and their
events, 5,000 lost accounts, 30,000 NPS answers. Then runs the nightly recompute
(affinities, volume benchmarks, health scores) and times every report through the
Django test client, for the manager of one team (10 KAMs, about 3,300 accounts)
and for an administrator (all 50,000), with the number of SQL queries.

--reuse times the reports again on the database the last run built (no build, no
nightly recompute).

Target on this 2-core machine: every report answers in under 1 s.
Writes bench/results/reports.json.
"""

import argparse
import json
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from random import Random

from fresh import ROOT, recording, use_database, use_fresh_database

DB = "kam_bench_reports"
REPORTS = ["upsell", "retention", "pipeline", "portfolio", "health"]
INDUSTRIES = ["Publishing", "Software", "Healthcare", "Banking", "Energy",
              "Logistics", "Education", "Insurance"]  # fmt: skip


def load(model, rows, *, returning=False) -> list[int]:
    from core.bulk import load_rows

    return load_rows(model, rows, returning=returning)


def build(n_accounts: int) -> dict:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from accounts.models import Account, Contact, OrderLine
    from catalog.models import Product, ProductFamily, ProductPrice
    from contracts.models import Contract, ContractLine, ContractTerm, Subscription
    from core.models import Team, User
    from core.roles import Role
    from offers.models import Offer, OfferEvent, OfferLine, OfferOption
    from planning.models import NpsResponse
    from renewals.models import Churn

    rng = Random(7)
    today = date.today()
    started = time.perf_counter()
    with transaction.atomic():
        kam_group = Group.objects.get(name=Role.KEY_ACCOUNT_MANAGER)
        manager_group = Group.objects.get(name=Role.SALES_MANAGER)
        admin = User.objects.create_user("admin", password="bench-pass-1")
        admin.groups.add(Group.objects.get(name=Role.ADMINISTRATOR))
        kams = []
        for t in range(15):
            manager = User.objects.create_user(f"manager{t}", password="bench-pass-1")
            manager.groups.add(manager_group)
            team = Team.objects.create(name=f"Team {t + 1:02d}", manager=manager)
            for k in range(10):
                kam = User.objects.create_user(
                    f"kam{t}-{k}", password="bench-pass-1", team=team,
                    first_name=f"KAM {t}-{k}",
                )  # fmt: skip
                kam.groups.add(kam_group)
                kams.append(kam.pk)
        families = [ProductFamily.objects.create(code=f"fam{i}", name=f"Family {i}")
                    for i in range(10)]  # fmt: skip
        products = []
        for i in range(50):
            product = Product.objects.create(
                code=f"P{i:02d}", name=f"Product {i}", family=families[i % 10],
                kind="subscription", billing_period="yearly", unit="seat",
            )  # fmt: skip
            ProductPrice.objects.create(product=product, currency="EUR",
                                        list_price=Decimal(100 + 10 * i))  # fmt: skip
            products.append(product.pk)
        accounts = load(Account, [
            {"name": f"Account {i:05d}", "owner_id": kams[i % len(kams)],
             "industry": INDUSTRIES[i % len(INDUSTRIES)],
             "tier": "A" if i % 10 == 0 else "B" if i % 10 < 4 else "C",
             "is_key_account": i % 50 < 8,
             "revenue_12m": Decimal(rng.randint(1_000, 200_000)),
             "revenue_prev_12m": Decimal(rng.randint(1_000, 200_000)),
             "revenue_potential": Decimal(rng.randint(50_000, 400_000)),
             "attractiveness": rng.randint(0, 100), "position": rng.randint(0, 100),
             "last_touch_at": datetime.now(UTC) - timedelta(days=rng.randint(0, 120))}
            for i in range(n_accounts)
        ], returning=True)  # fmt: skip
        contacts = load(Contact, [
            {"account_id": a, "last_name": f"Buyer {i}", "email": f"b{i}@x.example",
             "role": "decision_maker"} for i, a in enumerate(accounts)
        ], returning=True)  # fmt: skip
        n_contracts = n_accounts * 8 // 5
        contract_rows = []
        for i in range(n_contracts):
            a = i % n_accounts
            end = today + timedelta(days=rng.randint(-300, 540))
            start = end - timedelta(days=364)
            ended = end < today
            contract_rows.append({
                "number": f"CT-R-{i:06d}", "account_id": accounts[a],
                "contact_id": contacts[a], "title": "Subscription",
                "status": "ended" if ended else "active", "currency": "EUR",
                "start_on": start, "end_on": end, "duration_months": 12,
                "billing_period": "yearly", "auto_renew": i % 3 != 0, "notice_days": 90,
                "cancel_by": end - timedelta(days=90),
            })  # fmt: skip
        contract_ids = load(Contract, contract_rows, returning=True)
        line_rows, sub_rows = [], []
        arr = {}
        for c, row in zip(contract_ids, contract_rows, strict=True):
            for j in range(5):
                product = products[(c * 7 + j * 11) % 50]
                mrr = Decimal(rng.randint(20, 400))
                qty = Decimal(rng.randint(1, 60))
                line_rows.append({"contract_id": c, "product_id": product,
                                  "description": "Seat", "quantity": qty,
                                  "unit_price": mrr * 12 / qty,
                                  "discount_percent": Decimal(0),
                                  "tax_rate": Decimal(19), "position": j + 1,
                                  "price_unit": "yearly"})  # fmt: skip
                sub_rows.append((c, row, product, mrr, qty))
                arr[c] = arr.get(c, 0) + mrr * 12
        line_ids = load(ContractLine, line_rows, returning=True)
        load(Subscription, [
            {"contract_id": c, "contract_line_id": line, "account_id": row["account_id"],
             "product_id": product, "status": "ended" if row["status"] == "ended"
             else ("trial" if (c + product) % 40 == 0 else "active"),
             "quantity": qty, "currency": "EUR", "billing_period": "yearly",
             "period_amount": mrr * 12, "tax_rate": Decimal(19), "mrr": mrr,
             "start_on": row["start_on"], "end_on": row["end_on"],
             "trial_ends_on": row["start_on"] + timedelta(days=30)
             if (c + product) % 40 == 0 else None}
            for line, (c, row, product, mrr, qty) in zip(line_ids, sub_rows, strict=True)
        ])  # fmt: skip
        load(ContractTerm, [
            {"contract_id": c, "sequence": 1, "kind": "initial",
             "start_on": row["start_on"], "end_on": row["end_on"],
             "cancel_by": row["cancel_by"], "arr": arr[c]}
            for c, row in zip(contract_ids, contract_rows, strict=True)
        ])  # fmt: skip
        load(OrderLine, [
            {"account_id": accounts[i % n_accounts], "ordered_on":
             today - timedelta(days=rng.randint(0, 700)),
             "product_id": products[rng.randrange(50)], "quantity": Decimal(1),
             "net_amount": Decimal(rng.randint(50, 5000)), "currency": "EUR",
             "external_ref": f"OL-{i}"} for i in range(n_accounts * 4)
        ])  # fmt: skip
        n_offers = n_accounts * 2
        statuses = ["draft", "sent", "accepted", "declined", "expired", "sent"]
        offer_rows = []
        for i in range(n_offers):
            a = i % n_accounts
            status = statuses[i % len(statuses)]
            created = datetime.now(UTC) - timedelta(days=rng.randint(0, 500))
            offer_rows.append({
                "number": f"OF-R-{i:06d}", "account_id": accounts[a],
                "contact_id": contacts[a], "title": "Offer", "status": status,
                "language": "en", "currency": "EUR",
                "valid_until": created.date() + timedelta(days=30),
                "start_on": created.date() + timedelta(days=40),
                "duration_months": 12, "billing_period": "yearly", "auto_renew": True,
                "notice_days": 90, "created_by_id": kams[a % len(kams)],
                "created_at": created,
                "sent_at": created + timedelta(days=2) if status != "draft" else None,
            })  # fmt: skip
        # accepted offers need their option first: loaded as sent, then accepted
        offer_ids = load(
            Offer,
            [{**r, "status": "sent"} if r["status"] == "accepted" else r
             for r in offer_rows],
            returning=True,
        )  # fmt: skip
        option_ids = load(OfferOption, [{"offer_id": o, "name": "Standard"}
                                        for o in offer_ids], returning=True)  # fmt: skip
        load(OfferLine, [
            {"option_id": opt, "product_id": products[(opt + j) % 50],
             "description": "Seat", "quantity": Decimal(rng.randint(1, 20)),
             "unit_price": Decimal(rng.randint(100, 600)),
             "discount_percent": Decimal(rng.choice([0, 0, 5, 10, 15, 25])),
             "tax_rate": Decimal(19), "position": j + 1, "price_unit": "yearly"}
            for opt in option_ids for j in range(3)
        ])  # fmt: skip
        events = []
        for o, row in zip(offer_ids, offer_rows, strict=True):
            if row["status"] == "draft":
                continue
            asked = row["created_at"] + timedelta(hours=1)
            if o % 4 == 0:
                events.append(
                    {"offer_id": o, "to_status": "pending_approval", "at": asked}
                )
                events.append(
                    {
                        "offer_id": o,
                        "to_status": "approved",
                        "at": asked + timedelta(hours=rng.randint(1, 48)),
                    }
                )
            if row["status"] in ("accepted", "declined", "expired"):
                events.append(
                    {
                        "offer_id": o,
                        "to_status": row["status"],
                        "at": row["created_at"] + timedelta(days=rng.randint(5, 40)),
                    }
                )
        load(OfferEvent, events)  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE offers_offer o SET status = 'accepted', accepted_option_id = p.id "
                "FROM offers_offeroption p WHERE p.offer_id = o.id AND o.id = ANY(%s)",
                [[o for o, r in zip(offer_ids, offer_rows, strict=True)
                  if r["status"] == "accepted"]],
            )  # fmt: skip
        load(Churn, [
            {"account_id": accounts[i * 10 + 3], "lost_on":
             today - timedelta(days=rng.randint(0, 1000)),
             "lost_arr": Decimal(rng.randint(1000, 90000)), "currency": "EUR",
             "reason": rng.choice(["price", "competitor", "value", ""]),
             "won_back_on": today if i % 7 == 0 else None}
            for i in range(n_accounts // 10)
        ])  # fmt: skip
        load(NpsResponse, [
            {"account_id": accounts[rng.randrange(n_accounts)],
             "score": rng.randint(0, 10),
             "answered_on": today - timedelta(days=rng.randint(0, 365))}
            for _i in range(n_accounts * 3 // 5)
        ])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    built = time.perf_counter() - started
    print(f"built in {built:.1f} s")
    return {"build_s": round(built, 1), "contracts": n_contracts,
            "subscriptions": n_contracts * 5, "offers": n_offers}  # fmt: skip


def nightly_run(n_accounts: int) -> dict:
    """Build the data, then run and time the nightly recompute."""
    from django.core.management import call_command
    from django.db import connection

    from insights.services.affinity import affinity_recompute
    from insights.services.health import health_recompute
    from insights.services.upsell import upsell_recompute

    call_command("migrate", verbosity=0)
    sizes = build(n_accounts)
    started = time.perf_counter()
    nightly = affinity_recompute()
    affinity_s = time.perf_counter() - started
    started = time.perf_counter()
    nightly["upsell_items"] = upsell_recompute()
    upsell_s = time.perf_counter() - started
    started = time.perf_counter()
    nightly["health_scores"] = health_recompute()
    health_s = time.perf_counter() - started
    print(f"affinities {affinity_s:.1f} s, upsell rows {upsell_s:.1f} s, "
          f"health scores {health_s:.1f} s")  # fmt: skip
    with connection.cursor() as cursor:  # steady state, as autovacuum leaves it
        cursor.execute("VACUUM ANALYZE")
    return {"accounts": n_accounts, **sizes,
            "nightly": {"affinity_s": round(affinity_s, 1),
                        "upsell_s": round(upsell_s, 1),
                        "health_s": round(health_s, 1), **nightly}}  # fmt: skip


def _xlsx_seconds(client, url: str) -> float:
    """Ask for the report's workbook and download it. The export is built by a
    task, here eagerly (the test settings) as the request commits."""
    from core.models import Export

    started = time.perf_counter()
    response = client.get(url, {"format": "xlsx"})
    assert response.status_code == 302, (url, response.status_code)
    export = Export.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert export.status == Export.Status.DONE, (url, export.status, export.error)
    workbook = b"".join(
        client.get(f"{response['Location']}download/").streaming_content
    )
    assert workbook[:2] == b"PK", url  # a zip: the xlsx itself
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    out = ROOT / "bench" / "results" / "reports.json"
    (use_database if args.reuse else use_fresh_database)(DB)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from core.models import User

    if args.reuse:
        results = {**json.loads(out.read_text()), "reports": {}}
    else:
        results = {**nightly_run(args.accounts), "reports": {}}
    for who in ("manager0", "admin"):
        client = Client()
        client.force_login(User.objects.get(username=who))
        results["reports"][who] = {}
        for report in REPORTS:
            url = f"/insights/{report.replace('retention', 'renewals')}/"
            timings = []
            for _run in range(args.runs):
                queries = []
                with connection.execute_wrapper(recording(queries)):
                    t0 = time.perf_counter()
                    response = client.get(url)
                    timings.append(time.perf_counter() - t0)
                assert response.status_code == 200, (url, response.status_code)
            export_s = _xlsx_seconds(client, url)
            row = {
                "median_s": round(statistics.median(timings), 3),
                "max_s": round(max(timings), 3),
                "queries": len(queries),
                "xlsx_s": round(export_s, 3),
            }
            results["reports"][who][report] = row
            print(f"{who:9} {report:10} median {row['median_s']:.3f} s  max "
                  f"{row['max_s']:.3f} s  {row['queries']} queries  xlsx "
                  f"{row['xlsx_s']:.2f} s")  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
