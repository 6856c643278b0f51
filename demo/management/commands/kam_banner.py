import socket
import time

from django.core.management.base import BaseCommand

from accounts.models import Contact
from core.models import User
from demo.users import DEMO_USERS


class Command(BaseCommand):
    help = "Wait until the web server answers, then print its URL and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--password", default="kam-demo")
        parser.add_argument("--timeout", type=float, default=60)

    def handle(self, *args, port, password, timeout, **options):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        existing = set(
            User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list(
                "username", flat=True
            )
        )
        lines = ["", "=" * 60, f"  KAM is running on http://127.0.0.1:{port}/", ""]
        lines.append(f"  Demo logins (password: {password}):")
        for username, first, last, role, _team in DEMO_USERS:
            if username in existing:
                lines.append(f"    {username:<9} {first} {last} · {role.label}")
        # a contact whose account has contracts and invoices to show
        portal = (
            Contact.objects.filter(
                portal_enabled=True,
                account__owner__username="kam",
                account__invoices__isnull=False,
            )
            .order_by("pk")
            .first()
        )
        if portal:
            lines += ["", f"  Customer portal: /portal/ as {portal.email}",
                      "    (the sign-in link arrives in the outbox)"]  # fmt: skip
        lines += ["", "  Outbox (admin): /outbox/   API docs: /api/docs/", "=" * 60, ""]
        self.stdout.write("\n".join(lines))
