from random import Random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kam.core.demo import DemoContext
from kam.core.discovery import app_submodules
from kam.core.models import User


class Command(BaseCommand):
    help = "Load deterministic, realistic demo data (never under production settings)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["small", "large"], default="small")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--password", default=settings.KAM_DEMO_PASSWORD_DEFAULT)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users.",
        )

    def handle(self, *args, scale, seed, password, if_empty, **options):
        if settings.KAM_ENVIRONMENT == "production":
            raise CommandError("seed_demo refuses to run under production settings.")
        if len(password) < 6:
            raise CommandError("The demo password needs at least 6 characters.")
        if if_empty and User.objects.exists():
            self.stdout.write("The database has data already; demo data not loaded.")
            return
        ctx = DemoContext(rng=Random(seed), scale=scale, password=password)
        with transaction.atomic():
            for module in app_submodules("demo"):
                module.seed(ctx)
                self.stdout.write(f"  seeded {module.__name__}")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded (scale {scale})."))
        width = max(len(u) for u, _ in ctx.logins)
        for username, role in ctx.logins:
            self.stdout.write(f"  {username.ljust(width)}  {role}")
        self.stdout.write(f"  password for all: {password}")
