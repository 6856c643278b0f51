"""Demo users and teams (seed_demo)."""

from dataclasses import dataclass, field
from random import Random

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils.functional import cached_property

from core.models import SellerProfile, Team, User
from core.roles import ROLES_USING_ADMIN, Role

# username, first name, last name, role, team
DEMO_USERS = [
    ("admin", "Alex", "Berger", Role.ADMINISTRATOR, None),
    ("manager", "Miriam", "Schulte", Role.SALES_MANAGER, None),
    ("manager2", "Daniel", "Hoffmann", Role.SALES_MANAGER, None),
    ("kam", "Katrin", "Albers", Role.KEY_ACCOUNT_MANAGER, "North"),
    ("kam2", "Jonas", "Weber", Role.KEY_ACCOUNT_MANAGER, "North"),
    ("kam3", "Lea", "Fischer", Role.KEY_ACCOUNT_MANAGER, "South"),
    ("obm", "Oskar", "Brandt", Role.KEY_ACCOUNT_MANAGER, "Outbound"),
    ("cs", "Chris", "Sommer", Role.CUSTOMER_SERVICES, None),
]
TEAM_MANAGERS = {"North": "manager", "South": "manager2", "Outbound": "manager2"}

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hannes",
    "Ida",
    "Jan",
    "Kira",
    "Lukas",
    "Mia",
    "Noah",
    "Olivia",
    "Paul",
]
LAST_NAMES = [
    "Bauer",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
]


@dataclass
class DemoContext:
    rng: Random
    scale: str
    password: str
    users: dict = field(default_factory=dict)
    logins: list = field(default_factory=list)

    @cached_property
    def password_hash(self) -> str:
        # Hashing is slow by design: hash once, share it across demo users.
        return make_password(self.password)


def _fields(ctx, username, first, last, role) -> dict:
    """A demo user's columns (one by one and in bulk alike)."""
    return {
        "first_name": first,
        "last_name": last,
        "email": f"{username}@demo.kam.example",
        "is_active": True,
        "is_staff": role in ROLES_USING_ADMIN,
        "password": ctx.password_hash,
    }


def _user(ctx, username, first, last, role, team=None, **extra):
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={**_fields(ctx, username, first, last, role), "team": team, **extra},
    )
    user.groups.set([Group.objects.get(name=role)])
    ctx.users[username] = user
    return user


def seed(ctx: DemoContext) -> None:
    teams = {
        name: Team.objects.update_or_create(
            name=f"Team {name}", defaults={"is_outbound": name == "Outbound"}
        )[0]
        for name in TEAM_MANAGERS
    }
    for username, first, last, role, team in DEMO_USERS:
        extra = {"is_superuser": True} if role == Role.ADMINISTRATOR else {}
        _user(ctx, username, first, last, role, teams.get(team), **extra)
        ctx.logins.append((username, Role(role).label))
    for name, manager in TEAM_MANAGERS.items():
        teams[name].manager = ctx.users[manager]
        teams[name].save(update_fields=["manager", "updated_at"])
    if ctx.scale == "large":
        _seed_large_sales_force(ctx)
    SellerProfile.objects.update_or_create(singleton=True, defaults=SELLER)


# the demo's own company: the seller on every invoice, offer and contract
SELLER = {
    "name": "Nordwind Fachverlag GmbH", "street": "Hafenstraße 12",
    "postal_code": "20457", "city": "Hamburg", "country": "DE",
    "vat_id": "DE136695976", "tax_number": "27/123/45678",
    "register_court": "Amtsgericht Hamburg", "register_number": "HRB 123456",
    "managing_directors": "Jana Wolff, Tarek Nasser",
    "contact_name": "Rechnungsstelle Nordwind", "phone": "+49 40 1234560",
    "email": "rechnung@nordwind.example", "website": "https://nordwind.example",
    "bank_name": "Hamburger Sparkasse", "iban": "DE89370400440532013000",
    "bic": "COBADEFF", "sepa_creditor_id": "DE98ZZZ09999999999",
}  # fmt: skip


def _seed_large_sales_force(ctx):
    """15 teams of 10 KAMs, each team with its own manager; 30 customer services:
    195 people, written in a few bulk statements (one by one, with their groups,
    they took some 2,000 queries)."""
    people = []  # username, first name, last name, role, team number

    def person(username, role, team=None):
        first, last = ctx.rng.choice(FIRST_NAMES), ctx.rng.choice(LAST_NAMES)
        people.append((username, first, last, role, team))

    for c in range(1, 31):
        person(f"cs{c:02}", Role.CUSTOMER_SERVICES)
    for t in range(1, 16):
        person(f"mgr{t:02}", Role.SALES_MANAGER)
        for k in range(1, 11):
            person(f"kam{t:02}{k:02}", Role.KEY_ACCOUNT_MANAGER, t)
    existing = User.objects.in_bulk([p[0] for p in people], field_name="username")
    users = {}
    for username, first, last, role, _team in people:
        user = existing.get(username) or User(username=username)
        for name, value in _fields(ctx, username, first, last, role).items():
            setattr(user, name, value)
        users[username] = user
    User.objects.bulk_create([u for u in users.values() if u.pk is None])
    teams = {
        t: Team.objects.update_or_create(
            name=f"Team {t:02}", defaults={"manager": users[f"mgr{t:02}"]}
        )[0]
        for t in range(1, 16)
    }
    for username, _first, _last, _role, team in people:
        users[username].team = teams.get(team)
    columns = [*_fields(ctx, "", "", "", Role.CUSTOMER_SERVICES), "team"]
    User.objects.bulk_update(users.values(), columns)
    groups = {g.name: g.pk for g in Group.objects.filter(name__in=set(Role))}
    memberships = User.groups.through.objects
    memberships.filter(user__in=users.values()).delete()
    memberships.bulk_create(
        User.groups.through(user_id=users[username].pk, group_id=groups[role])
        for username, _first, _last, role, _team in people
    )
    ctx.users.update(users)
