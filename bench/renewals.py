"""The nightly job on 100,000 standing orders due on one date (not run by the suite).

    python bench/renewals.py [--contracts 100000] [--lines 1]

Builds a fresh PostgreSQL database `kam_bench` (on $DATABASE_URL's server, else
127.0.0.1:5432), copies one real finalized standing order N times with INSERT ...
SELECT, then times the renewal
run for the day after their terms end (renew + bill + queue the documents on
Redis db 14), and a second run for the same date. Writes bench/results/renewals.json.

Targets on this 2-core machine: first run <= 30 s, second run <= 3 s creating nothing.
"""

import argparse
import json
import os
import resource
import time
from datetime import timedelta
from decimal import Decimal

from fresh import ROOT, use_fresh_database

DB = "kam_bench"
os.environ.setdefault("KAM_RENEWALS_WORKERS", "2")


def copy_rows(model, template_id: int, overrides: dict[str, str], n: int) -> None:
    """INSERT ... SELECT the template row n times; `g` is the copy number 1..n."""
    from django.db import connection

    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if f.column != "id"]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    select = ", ".join(overrides.get(c, connection.ops.quote_name(c)) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {select} FROM {table} t, "  # noqa: S608
            "generate_series(1, %s) g WHERE t.id = %s ORDER BY g",
            [n, template_id],
        )


def build(n: int, lines: int):
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Account, Contact
    from catalog.models import Product, ProductFamily, ProductPrice
    from contracts.models import Contract, ContractLine, ContractTerm, Subscription
    from contracts.services import acceptance, lifecycle
    from contracts.services import signing as contract_signing
    from core.models import User
    from offers.services import building as offer_building
    from offers.services import sending as offer_sending

    with transaction.atomic():
        kam = User.objects.create_user(
            "bench", password="x-bench-1", email="k@b.example"
        )
        account = Account.objects.create(
            name="Bench Media", legal_name="Bench Media GmbH", owner=kam,
            street="Kai 1", postal_code="20457", city="Hamburg", country="DE",
        )  # fmt: skip
        contact = Contact.objects.create(
            account=account, last_name="Reader", email="r@bench.example"
        )
        family = ProductFamily.objects.create(code="f", name="Family")
        offer = offer_building.offer_create(
            account=account, contact=contact, actor=kam, title="Seats",
            start_on=timezone.localdate(),
        )  # fmt: skip
        for i in range(lines):
            product = Product.objects.create(
                code=f"P{i}", name=f"Seat {i}", family=family, kind="subscription",
                billing_period="yearly",
            )  # fmt: skip
            ProductPrice.objects.create(
                product=product, currency="EUR", list_price=Decimal("360.00")
            )
            offer_building.line_add(
                option=offer.options.get(), actor=kam, product=product,
                quantity=Decimal(5),
            )  # fmt: skip
        offer_sending.offer_send(offer=offer, actor=kam)
        acceptance.offer_accept(offer=offer, option=offer.options.get(), name="Buyer")
        contract = Contract.objects.get(offer=offer)
        contract = contract_signing.contract_send(contract=contract)
        contract = contract_signing.contract_sign(
            contract=contract, name="B", agreed=True
        )
        contract = lifecycle.contract_finalize(contract=contract, actor=kam)
    template = Contract.objects.get(pk=contract.pk)
    end = template.end_on
    # n copies: accounts (one per 5 contracts), contracts, lines, subscriptions, terms
    started = time.perf_counter()
    with transaction.atomic():
        accounts = n // 5
        copy_rows(Account, account.pk, {"name": "'Bench ' || g"}, accounts - 1)
        first_account = account.pk
        copy_rows(
            Contract, template.pk,
            {
                "number": "'CT-B-' || g",
                "account_id": f"{first_account} + mod(g, {accounts})",
                "offer_id": "NULL",
                "option_id": "NULL",
                "status": "'active'",
            },
            n - 1,
        )  # fmt: skip
        with connection.cursor() as cursor:
            # lines and subscriptions of every copy, from the template's
            for line in ContractLine.objects.filter(contract=template):
                sub = Subscription.objects.get(contract_line=line)
                cursor.execute(
                    "INSERT INTO contracts_contractline (contract_id, product_id, "
                    "package_version_id, description, quantity, unit_price, "
                    "discount_percent, tax_rate, position, price_unit, list_price, "
                    "price_reason) SELECT c.id, "
                    "l.product_id, NULL, l.description, l.quantity, l.unit_price, "
                    "l.discount_percent, l.tax_rate, l.position, l.price_unit, "
                    "l.list_price, l.price_reason FROM contracts_contract c, "
                    "contracts_contractline l WHERE c.number LIKE 'CT-B-%%' "
                    "AND l.id = %s",
                    [line.pk],
                )
                cols = [
                    f.column
                    for f in Subscription._meta.concrete_fields
                    if f.column not in ("id", "contract_id", "contract_line_id",
                                        "account_id")
                ]  # fmt: skip
                cursor.execute(
                    f"INSERT INTO contracts_subscription (contract_id, contract_line_id, "  # noqa: S608
                    f"account_id, {', '.join(cols)}) SELECT c.id, l.id, c.account_id, "
                    f"{', '.join('s.' + c for c in cols)} FROM contracts_contract c "
                    "JOIN contracts_contractline l ON l.contract_id = c.id "
                    "AND l.position = %s, contracts_subscription s "
                    "WHERE c.number LIKE 'CT-B-%%' AND s.id = %s",
                    [line.position, sub.pk],
                )
            term = ContractTerm.objects.get(contract=template)
            cursor.execute(
                "INSERT INTO contracts_contractterm (contract_id, sequence, kind, "
                "start_on, end_on, cancel_by, arr, price_change_percent, created_at) "
                "SELECT c.id, 1, 'initial', t.start_on, t.end_on, t.cancel_by, t.arr, "
                "0, now() FROM contracts_contract c, contracts_contractterm t "
                "WHERE c.number LIKE 'CT-B-%%' AND t.id = %s",
                [term.pk],
            )
    # a database in steady state: vacuumed and checkpointed, so neither autovacuum
    # nor a checkpoint of the bulk load starts in the middle of the measurement
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")  # the load's WAL is not flushed during the run
    print(f"built {n} standing orders in {time.perf_counter() - started:.1f} s")
    return end + timedelta(days=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1)
    args = parser.parse_args()
    use_fresh_database(DB)
    import django

    django.setup()
    from django.core.management import call_command

    from kam.celery import app

    app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)
    day = build(args.contracts, args.lines)
    from django.db import connection

    from contracts.models import ContractTerm, Invoice, InvoiceLine
    from renewals.services import run

    def rows():
        return (
            ContractTerm.objects.count(),
            Invoice.objects.count(),
            InvoiceLine.objects.count(),
        )

    before = rows()
    started = time.perf_counter()
    _first_run, batch = run.run_for_date(day, trigger="command")
    first = time.perf_counter() - started
    after_first = rows()
    started = time.perf_counter()
    _second_run, second_batch = run.run_for_date(day, trigger="command")
    second = time.perf_counter() - started
    after_second = rows()
    app.control.purge()
    assert batch.counts["renewed"] == args.contracts, batch.counts
    assert batch.counts["invoices"] == args.contracts, batch.counts
    assert not batch.failures and not second_batch.failures
    assert sum(second_batch.counts.values()) == 0 and after_second == after_first
    result = {
        "contracts": args.contracts,
        "lines_per_contract": args.lines,
        "first_run_s": round(first, 2),
        "second_run_s": round(second, 2),
        "created": {
            "terms": after_first[0] - before[0],
            "invoices": after_first[1] - before[1],
            "invoice_lines": after_first[2] - before[2],
        },
        "second_run_created": [
            b - a for a, b in zip(after_first, after_second, strict=True)
        ],
        "counts": dict(batch.counts),
        "seconds_per_step": batch.timings,
        "chunk": __import__("django.conf").conf.settings.KAM_RENEWALS_CHUNK,
        "workers": __import__("django.conf").conf.settings.KAM_RENEWALS_WORKERS,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "postgres": connection.pg_version,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / "renewals.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
