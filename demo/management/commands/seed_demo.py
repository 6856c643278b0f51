import time
from random import Random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core.models import User
from demo import accounts, catalog, contracts, insights, offers, renewals, users
from demo.users import DemoContext

# in the apps' order: each seeds through the services of the apps above it
SEEDS = (users, catalog, accounts, offers, contracts, renewals, insights)


class Command(BaseCommand):
    help = "Load deterministic, realistic demo data (never under production settings)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["small", "large"], default="small")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--factor",
            type=float,
            default=1.0,
            help="Scale the large dataset's counts (e.g. 0.1 for a tenth).",
        )
        parser.add_argument("--password", default=settings.KAM_DEMO_PASSWORD_DEFAULT)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users.",
        )

    def _large(self, ctx, factor):
        """The large dataset, then what the nightly jobs would have computed."""
        from accounts.models import Account
        from accounts.services import portfolio
        from demo.large import seed_large
        from insights.services.affinity import affinity_recompute
        from insights.services.health import health_recompute
        from insights.services.upsell import upsell_recompute

        if Account.objects.filter(external_ref__startswith="LRG-").exists():
            self.stdout.write("  the large dataset is loaded already")
            return
        self.stdout.write("  large dataset:")
        with transaction.atomic():
            seed_large(ctx, factor=factor, say=self.stdout.write)
        self._analyze()
        steps = [
            ("portfolio", portfolio.portfolio_recompute),
            ("affinities", affinity_recompute),
            ("upsell rows", upsell_recompute),
            ("health scores", health_recompute),
        ]
        for name, run in steps:
            began = time.perf_counter()
            run()
            self.stdout.write(f"  {name}: {time.perf_counter() - began:.0f} s")
        # the nightly steps rewrote every account: without a VACUUM the planner
        # reads a table several times its size (a team's upsell report 1.1 → 0.7 s)
        self._analyze()

    @staticmethod
    def _analyze():
        with connection.cursor() as cursor:
            # VACUUM cannot run in a transaction (a caller's, e.g. a test's)
            vacuum = "" if connection.in_atomic_block else "VACUUM "
            cursor.execute(f"{vacuum}ANALYZE")

    def handle(self, *args, scale, seed, password, if_empty, factor, **options):
        if settings.KAM_ENVIRONMENT == "production":
            raise CommandError("seed_demo refuses to run under production settings.")
        if len(password) < 6:
            raise CommandError("The demo password needs at least 6 characters.")
        if if_empty and User.objects.exists():
            self.stdout.write("The database has data already; demo data not loaded.")
            return
        if scale == "large" and connection.vendor != "postgresql":
            raise CommandError("--scale large needs PostgreSQL (set DATABASE_URL).")
        started = time.perf_counter()
        ctx = DemoContext(rng=Random(seed), scale=scale, password=password)
        with transaction.atomic():
            for module in SEEDS:
                began = time.perf_counter()
                module.seed(ctx)
                took = time.perf_counter() - began
                self.stdout.write(f"  seeded {module.__name__} ({took:.1f} s)")
        if scale == "large":
            self._large(ctx, factor)
        took = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded (scale {scale}) in {took:.0f} s.")
        )
        width = max(len(u) for u, _ in ctx.logins)
        for username, role in ctx.logins:
            self.stdout.write(f"  {username.ljust(width)}  {role}")
        self.stdout.write(f"  password for all: {password}")
