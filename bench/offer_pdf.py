"""Median render time of a 3-page offer PDF with 3 options (not run by the test suite).

    DJANGO_SETTINGS_MODULE=kam.settings.dev python bench/offer_pdf.py [--runs 15]

Writes bench/results/offer_pdf.json. Target: median under 300 ms on a 2-core machine.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.dev")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")


def main():
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import Account, Contact
    from catalog.models import Product, ProductFamily, ProductPrice
    from core.models import User
    from offers.services import building as offer_building
    from offers.services import documents as offer_documents

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--step", type=int, default=10, help="option n has step * (n + 1) lines"
    )
    args = parser.parse_args()
    with transaction.atomic():
        user = User.objects.create_user("bench", password="x-bench-1")
        account = Account.objects.create(
            name="Bench Media", legal_name="Bench Media GmbH", owner=user
        )
        contact = Contact.objects.create(
            account=account, last_name="Reader", email="r@bench.example"
        )
        family = ProductFamily.objects.create(code="f", name="Family")
        products = []
        for i in range(60):
            product = Product.objects.create(
                code=f"P{i}",
                name=f"Product number {i} with a longer name",
                family=family,
                kind="subscription",
                billing_period="yearly",
            )
            ProductPrice.objects.create(
                product=product, currency="EUR", list_price=Decimal("120.00") + i
            )
            products.append(product)
        offer = offer_building.offer_create(
            account=account,
            contact=contact,
            actor=user,
            title="Benchmark offer",
            valid_until=timezone.localdate() + timedelta(days=30),
            option_names=["Basic", "Standard", "Premium"],
        )
        for n, option in enumerate(offer.options.all(), start=1):
            for product in products[: args.step * (n + 1)]:
                offer_building.line_add(
                    option=option,
                    actor=user,
                    product=product,
                    quantity=Decimal(n * 3),
                    discount_percent=Decimal(n * 2),
                )
    pdf = offer_documents.offer_pdf(offer)
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    pages = int(info.stdout.decode().split("Pages:")[1].split()[0])
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        offer_documents.offer_pdf(offer)
        timings.append((time.perf_counter() - start) * 1000)
    result = {
        "benchmark": "offer_pdf",
        "options": 3,
        "lines": sum(args.step * (n + 1) for n in range(1, 4)),
        "pdf_bytes": len(pdf),
        "pages": pages,
        "runs": args.runs,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 1),
        "min_ms": round(min(timings), 1),
        "target_ms": 300,
    }
    out = ROOT / "bench" / "results" / "offer_pdf.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
