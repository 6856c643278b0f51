"""One world of objects for the URLconf-driven tests: a key account with one of
everything a URL can name, every object carrying the same id, so that filling every
id in every URL pattern with it gives a URL of that world, whatever the view."""

import re
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from accounts.models import Account, Handoff
from accounts.services import activity
from accounts.services.todos import task_create
from contracts.models import Contract
from core.models import Export, Notification
from offers.services import building as offer_building
from offers.services import tracking as offer_tracking
from planning.models import FeedbackItem
from planning.services import plans as plan_services
from planning.services import voice
from renewals.models import Churn
from tests.contracts.helpers import contract_for, product
from tests.factories import AccountFactory, ContactFactory

PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")


def routes() -> list[tuple[str, str]]:
    """(name, route template such as /offers/<int:pk>/) of every URL pattern written
    as a route; regular expressions (the admin's app index) are left out."""

    def walk(items, prefix, namespace):
        for item in items:
            if not isinstance(item.pattern, RoutePattern):
                continue
            route = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                inner = item.namespace
                if inner and namespace:
                    inner = f"{namespace}:{inner}"
                yield from walk(item.url_patterns, route, inner or namespace)
            elif isinstance(item, URLPattern):
                name = item.name or "<unnamed>"
                yield (f"{namespace}:{name}" if namespace else name, "/" + route)

    return sorted(set(walk(get_resolver().url_patterns, "", None)))


def fill(route: str, pk: int) -> str:
    return PARAMETER.sub(str(pk), route)


def _restart_sequences(at: int):
    """Move every id sequence to `at`, so each world's first objects share one id."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(quote_ident(c.relname), a.attname) "
            "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname = 'id'"
        )
        for (sequence,) in cursor.fetchall():
            if sequence:
                cursor.execute("SELECT setval(%s, %s, false)", [sequence, at])


def build_world(owner, at: int) -> Account:
    """One key account with one of everything a URL can name, all with id `at`."""
    _restart_sequences(at)
    Notification.objects.create(user=owner, title="Offer approved", url="/")
    account = AccountFactory(
        name=f"World {at}", owner=owner, is_key_account=True, tier="A",
        street="Hafenstr. 1", postal_code="20457", city="Hamburg", country="DE",
        legal_name="Hafen Medien GmbH",
    )  # fmt: skip
    contact = ContactFactory(account=account, email=f"buyer{at}@customer.example")
    Handoff.objects.create(
        account=account, needs="Seats", complexity=Account.Complexity.values[0],
        proposed_path=Account.ServicePath.values[0], team=owner.team,
        status=Handoff.Status.AWAITING_KAM, submitted_by=owner,
    )  # fmt: skip
    activity.document_upload(
        account=account, actor=owner, title="Brief",
        uploaded_file=SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n%%EOF\n",
                                         content_type="application/pdf"),
    )  # fmt: skip
    task_create(title="Call back", due_at=timezone.now() + timedelta(days=1),
                assignee=owner, actor=owner, account=account)  # fmt: skip
    offer = offer_building.offer_create(
        account=account, contact=contact, actor=owner, title="Draft",
        valid_until=timezone.localdate() + timedelta(days=30),
    )  # fmt: skip
    offer_building.line_add(option=offer.options.get(), actor=owner,
                            product=product(code=f"P{at}"), quantity=Decimal(2))  # fmt: skip
    # an inbound mail to review: it names the draft, answers nothing we sent
    offer_tracking.inbound_reply_apply(
        from_email=contact.email, subject=f"Re: {offer.number}", text="Is it final?"
    )
    contract_for(owner, account=account)
    plan = plan_services.plan_create(actor=owner, account=account,
                                     year=timezone.localdate().year)  # fmt: skip
    plan_services.objective_add(actor=owner, plan=plan, title="Grow",
                                metric="Seats", target_value=Decimal(10))  # fmt: skip
    voice.feedback_create(actor=owner, account=account,
                          kind=FeedbackItem.Kind.values[0], title="Needs SSO")  # fmt: skip
    Churn.objects.create(account=account, contract=Contract.objects.get(pk=at),
                         lost_on=timezone.localdate(), currency="EUR")  # fmt: skip
    export = Export.objects.create(user=owner, title="Upsell", filename="upsell", report="upsell",
                                   path="/insights/upsell/?format=xlsx", language="en",
                                   status=Export.Status.DONE)  # fmt: skip
    export.file.save("upsell.xlsx", ContentFile(b"PK\x03\x04 workbook"))
    return account
