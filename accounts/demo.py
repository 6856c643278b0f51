"""Demo customer accounts (seed_demo)."""

from accounts.models import Account

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
COUNTRIES = [
    ("DE", "GmbH"),
    ("DE", "AG"),
    ("AT", "GmbH"),
    ("CH", "AG"),
    ("NL", "B.V."),
    ("GB", "Ltd"),
    ("FR", "SAS"),
]
# owner, deputy, how many accounts
PORTFOLIOS = [("kam", "kam2", 40), ("kam2", "kam", 30), ("kam3", None, 25)]


def _names(rng):
    names = []
    for root in ROOTS:
        for kind, industry in KINDS:
            country, legal = COUNTRIES[(len(root) + len(kind)) % len(COUNTRIES)]
            names.append((f"{root} {kind} {legal}", industry, country))
    rng.shuffle(names)
    return names


def seed(ctx) -> None:
    names = iter(_names(ctx.rng))
    for owner, deputy, count in PORTFOLIOS:
        for _ in range(count):
            name, industry, country = next(names)
            Account.objects.update_or_create(
                name=name,
                defaults={
                    "industry": industry,
                    "country": country,
                    "owner": ctx.users[owner],
                    "deputy": ctx.users[deputy]
                    if deputy and ctx.rng.random() < 0.5
                    else None,
                },
            )
    if ctx.scale == "large":
        _seed_large(ctx)


def _seed_large(ctx):
    kams = [
        u for name, u in ctx.users.items() if name.startswith("kam") and len(name) == 7
    ]
    if Account.objects.count() >= 50_000:
        return
    roots, kinds = ROOTS, KINDS
    batch = [
        Account(
            name=f"{roots[i % len(roots)]} {kinds[i % len(kinds)][0]} {i:05}",
            industry=kinds[i % len(kinds)][1],
            country=COUNTRIES[i % len(COUNTRIES)][0],
            owner=kams[i % len(kams)],
        )
        for i in range(50_000)
    ]
    Account.objects.bulk_create(batch, batch_size=5000)
