"""Demo customer accounts with contacts, orders, touchpoints and tasks (seed_demo)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from stdnum.at import uid as at_uid
from stdnum.iso7064 import mod_11_10

from accounts.models import Account, Contact, OrderLine
from accounts.services import activity, handoff, portfolio, todos
from catalog.pricing import round_money
from core.models import Team
from demo.users import FIRST_NAMES, LAST_NAMES

ROOTS = [
    "Nordlicht",
    "Alpenblick",
    "Rheintal",
    "Hanse",
    "Elbufer",
    "Bergmann",
    "Kessler",
    "Meridian",
    "Atlas",
    "Orbit",
    "Vektor",
    "Helios",
    "Brandt",
    "Falkenstein",
    "Greenfield",
    "Harbor",
    "Keystone",
    "Summit",
    "Westbrook",
    "Lindenhof",
    "Isar",
    "Weser",
    "Taunus",
    "Spree",
    "Main",
]
KINDS = [
    ("Media", "Publishing"),
    ("Verlag", "Publishing"),
    ("Software", "Software"),
    ("Systems", "IT services"),
    ("Klinikum", "Healthcare"),
    ("Logistik", "Logistics"),
    ("Energie", "Energy"),
    ("Bank", "Banking"),
    ("Versicherung", "Insurance"),
    ("Universität", "Education"),
]
# country, legal form, currency, language, cities
COUNTRIES = [
    (
        "DE",
        "GmbH",
        "EUR",
        "de",
        ["Hamburg", "München", "Köln", "Frankfurt am Main", "Berlin"],
    ),
    ("DE", "AG", "EUR", "de", ["Stuttgart", "Düsseldorf", "Leipzig", "Hannover"]),
    ("AT", "GmbH", "EUR", "de", ["Wien", "Graz", "Linz"]),
    ("CH", "AG", "CHF", "de", ["Zürich", "Basel", "Bern"]),
    ("NL", "B.V.", "EUR", "en", ["Amsterdam", "Rotterdam", "Utrecht"]),
    ("GB", "Ltd", "GBP", "en", ["London", "Manchester", "Edinburgh"]),
    ("FR", "SAS", "EUR", "en", ["Paris", "Lyon"]),
]
STREETS = [
    "Hafenstraße",
    "Lindenallee",
    "Marktplatz",
    "Bahnhofstraße",
    "Königsweg",
    "Parkring",
]
# owner, deputy, how many accounts, share that are key accounts
PORTFOLIOS = [
    ("kam", "kam2", 40, 0.8),
    ("kam2", "kam", 30, 0.7),
    ("kam3", None, 25, 0.7),
    ("obm", None, 20, 0.0),
]
# job title, buying-center role, influence, reports to (index) or None
BUYING_CENTER = [
    ("Managing Director", "decision_maker", 5, None),
    ("Head of Purchasing", "purchasing", 4, 0),
    ("CIO", "it", 4, 0),
    ("Head of Research", "champion", 3, 0),
    ("Works Council Chair", "works_council", 3, None),
    ("Information Specialist", "user", 2, 3),
    ("IT Security Officer", "blocker", 3, 2),
    ("Team Lead Analytics", "influencer", 3, 3),
]
PRODUCT_MIXES = [
    ["SEAT-ENT", "ARCH-FULL", "DIGI-PRO"],
    ["PRINT-DAILY", "DIGI-PRO", "TRN-WEB"],
    ["SEAT-ENT", "SEAT-API", "ARCH-DB", "SRV-INTEG"],
    ["DIGI-BASIC", "PRINT-WEEKLY"],
    ["SEAT-ENT", "ARCH-FULL", "ARCH-DB", "TRN-ONSITE"],
]
TOUCH_SUBJECTS = [
    "Quarterly review",
    "Renewal preparation",
    "Usage check",
    "New project",
    "Budget planning",
    "Feedback on onboarding",
    "Trade fair follow-up",
]


def _vat(rng, country):
    if country == "DE":
        body = str(rng.randint(10_000_000, 99_999_999))
        return "DE" + body + mod_11_10.calc_check_digit(body)
    if country == "AT":
        body = str(rng.randint(1_000_000, 9_999_999))
        return "ATU" + body + at_uid.calc_check_digit("U" + body)
    return ""


def _names(rng):
    names = [(root, kind, industry) for root in ROOTS for kind, industry in KINDS]
    rng.shuffle(names)
    return names


def _billing(number: int, country: str, slug: str) -> dict:
    """Some German customers receive e-invoices: every fifth Factur-X, every
    eleventh XRechnung as a public buyer with a Leitweg-ID; a few bill to an
    accounts-payable mailbox."""
    mailbox = f"invoices@{slug.lower().replace(' ', '')[:20]}.example"
    fields = {"billing_email": mailbox if number % 3 == 0 else ""}
    if country == "DE" and number % 11 == 0:
        leitweg_id = f"05315-{number:05d}-{number % 90 + 10}"
        fields.update(einvoice_format="xrechnung", electronic_address=mailbox,
                      buyer_reference=leitweg_id)  # fmt: skip
    elif country == "DE" and number % 5 == 0:
        fields["einvoice_format"] = "facturx"
    return fields


def seed(ctx) -> None:
    today = timezone.localdate()
    names = iter(_names(ctx.rng))
    number = 0
    created = []
    for owner, deputy, count, key_share in PORTFOLIOS:
        for i in range(count):
            number += 1
            root, kind, industry = next(names)
            country, legal, currency, language, cities = COUNTRIES[
                (len(root) + len(kind)) % len(COUNTRIES)
            ]
            is_key = i < round(count * key_share)
            scale = Decimal(str(round(ctx.rng.paretovariate(1.3), 2)))
            account, _ = Account.objects.update_or_create(
                external_ref=f"ERP-{number:05d}",
                defaults={
                    "name": f"{root} {kind}",
                    "legal_name": f"{root} {kind} {legal}",
                    "vat_id": _vat(ctx.rng, country),
                    "street": f"{ctx.rng.choice(STREETS)} {ctx.rng.randint(1, 120)}",
                    "postal_code": str(ctx.rng.randint(10000, 99999)),
                    "city": ctx.rng.choice(cities),
                    "country": country,
                    "currency": currency,
                    "language": language,
                    "industry": industry,
                    **_billing(number, country, f"{root}{kind}"),
                    "owner": ctx.users[owner],
                    "deputy": ctx.users[deputy]
                    if deputy and ctx.rng.random() < 0.5
                    else None,
                    "service_path": "key_account" if owner != "obm" else "outbound",
                    "complexity": ctx.rng.choice(["simple", "medium", "complex"])
                    if is_key
                    else "simple",
                    "lifecycle": "customer",
                    "is_key_account": is_key,
                    "key_account_criteria": ctx.rng.sample(
                        [
                            "revenue",
                            "strategic",
                            "growth",
                            "complexity",
                            "relationship",
                        ],
                        2,
                    )
                    if is_key
                    else [],
                    "key_account_score": ctx.rng.randint(55, 95)
                    if is_key
                    else ctx.rng.randint(10, 50),
                    "revenue_potential": round_money(
                        scale * Decimal(60_000) * Decimal(ctx.rng.uniform(1.2, 2.5))
                    ),
                    "strategic_fit": ctx.rng.randint(2, 5)
                    if is_key
                    else ctx.rng.randint(1, 3),
                },
            )
            created.append((account, scale, is_key))
    # corporate groups: a few accounts belong to a parent
    groups = [a for a, _s, k in created if k][:6]
    for parent, child in zip(groups[::2], groups[1::2], strict=False):
        Account.objects.filter(pk=child.pk).update(parent=parent)
    for account, scale, is_key in created:
        _contacts(ctx, account, is_key)
        _orders(ctx, account, scale, is_key, today)
    for account, _scale, is_key in created:
        _activity(ctx, account, is_key, today)
    _handoffs(ctx)
    portfolio.portfolio_recompute(today=today)


def _contacts(ctx, account, is_key):
    if account.contacts.exists():
        return
    size = len(BUYING_CENTER) if is_key else 3
    people = []
    for i, (title, role, influence, boss) in enumerate(BUYING_CENTER[:size]):
        first, last = ctx.rng.choice(FIRST_NAMES), ctx.rng.choice(LAST_NAMES)
        people.append(
            Contact.objects.create(
                account=account,
                external_ref=f"{account.external_ref}-C{i + 1}",
                first_name=first,
                last_name=last,
                job_title=title,
                email=f"{first}.{last}@{account.name.split()[0].lower()}.example".lower()
                .replace("ü", "ue")
                .replace("ö", "oe")
                .replace("ä", "ae"),
                phone=f"+49 40 {ctx.rng.randint(1000000, 9999999)}",
                role=role,
                influence=influence,
                attitude=ctx.rng.choices(["supporter", "neutral", "critic"], [5, 4, 1])[
                    0
                ],
                relationship_strength=ctx.rng.randint(2, 5),
                # a key account's first contact uses the customer portal
                portal_enabled=is_key and i == 0,
                reports_to=people[boss]
                if boss is not None and boss < len(people)
                else None,
                do_not_contact=role == "works_council",
            )
        )


def _orders(ctx, account, scale, is_key, today):
    if OrderLine.objects.filter(account=account).exists():
        return
    products = ctx.products
    mix = ctx.rng.choice(PRODUCT_MIXES)[: 4 if is_key else 2]
    growth = Decimal(str(round(ctx.rng.uniform(-0.25, 0.35), 2)))
    lines = []
    first = today.replace(day=1) - relativedelta(months=23)
    for code in mix:
        product = products[code]
        price = next(
            p.list_price for p in product.prices.all() if p.currency == account.currency
        )
        quantity = max(1, int(scale * (20 if is_key else 3)))
        for m in range(24):
            month = first + relativedelta(months=m)
            if product.kind != "subscription" and ctx.rng.random() > 0.12:
                continue
            if product.billing_period == "yearly" and m % 12 != 0:
                continue
            if product.billing_period == "quarterly" and m % 3 != 0:
                continue
            factor = Decimal(1) + growth * Decimal(m) / Decimal(24)
            if product.kind == "subscription":
                qty = Decimal(max(1, int(quantity * factor)))
            else:
                qty = Decimal(ctx.rng.randint(1, 3))
            ordered_on = min(month + timedelta(days=ctx.rng.randint(0, 20)), today)
            lines.append(
                OrderLine(
                    account=account,
                    ordered_on=ordered_on,
                    product=product,
                    quantity=qty,
                    net_amount=round_money(price * qty * Decimal("0.9")),
                    currency=account.currency,
                    external_ref=f"{account.external_ref}-{code}-{m:02d}",
                )
            )
    OrderLine.objects.bulk_create(lines, ignore_conflicts=True)


def _activity(ctx, account, is_key, today):
    owner = account.owner
    if account.touchpoints.exists():
        return
    contacts = list(account.contacts.all())
    for _ in range(ctx.rng.randint(2, 6) if is_key else ctx.rng.randint(0, 2)):
        when = timezone.now() - timedelta(
            days=ctx.rng.randint(1, 170), hours=ctx.rng.randint(0, 8)
        )
        activity.touchpoint_log(
            account=account,
            actor=owner,
            channel=ctx.rng.choice(["call", "meeting", "visit", "email", "event"]),
            subject=ctx.rng.choice(TOUCH_SUBJECTS),
            occurred_at=when,
            contacts=ctx.rng.sample(contacts, min(len(contacts), ctx.rng.randint(1, 2)))
            if contacts
            else [],
            notes="Discussed usage, open questions and next steps.",
            outcome=ctx.rng.choice(
                ["Positive", "Needs follow-up", "Waiting for budget", ""]
            ),
        )
    if not is_key:
        return
    for offset in ctx.rng.sample([-5, -1, 0, 0, 2, 7, 14, 30], ctx.rng.randint(1, 3)):
        due = timezone.make_aware(
            datetime.combine(
                today + timedelta(days=offset), time(ctx.rng.choice([9, 11, 14, 16]))
            )
        )
        todos.task_create(
            title=ctx.rng.choice(
                [
                    "Call about renewal",
                    "Send usage report",
                    "Prepare QBR",
                    "Follow up on offer",
                    "Introduce new archive",
                ]
            ),
            due_at=due,
            assignee=owner,
            account=account,
            actor=owner,
        )
    if ctx.rng.random() < 0.25:
        notes = (
            f"Meeting notes {account.name}\n\n"
            "Attendees: buying center\nNext steps: see tasks.\n"
        )
        activity.document_upload(
            account=account,
            actor=owner,
            uploaded_file=SimpleUploadedFile(
                "meeting-notes.txt", notes.encode(), "text/plain"
            ),
            title="Meeting notes",
        )


def _handoffs(ctx):
    from accounts.models import Handoff

    if Handoff.objects.exists():
        return
    north = Team.objects.get(name="Team North")
    handoff.handoff_submit(
        actor=ctx.users["manager"],
        name="Meridian Klinikverbund",
        country="DE",
        industry="Healthcare",
        needs=(
            "Clinical research portal for 400 physicians, archive access, "
            "onboarding in Q1."
        ),
        complexity="complex",
        proposed_path="key_account",
        team=north,
        products=[ctx.products["SEAT-ENT"], ctx.products["ARCH-FULL"]],
        expected_annual_revenue=Decimal("180000"),
    )
    handoff.handoff_submit(
        actor=ctx.users["manager"],
        name="Isar Steuerkanzlei",
        country="DE",
        industry="Professional services",
        needs="Five digital subscriptions.",
        complexity="simple",
        proposed_path="outbound",
        products=[ctx.products["DIGI-BASIC"]],
        expected_annual_revenue=Decimal("1200"),
    )
