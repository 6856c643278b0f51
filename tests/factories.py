from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Account
from core.models import Team, User
from core.roles import ROLES_USING_ADMIN, Role


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("s3cret-pass")


def make_user(username, role: Role | None, team=None, **extra) -> User:
    """Create a user holding `role` (a role's group is created when missing)."""
    user = UserFactory(username=username, team=team, **extra)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    user.is_staff = role in ROLES_USING_ADMIN
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("role_names", None)
    return user


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Faker("company")
    industry = factory.Iterator(["Publishing", "Software", "Healthcare", "Banking"])
    country = factory.Iterator(["DE", "AT", "CH", "NL"])
    owner = factory.SubFactory(UserFactory)


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.ProductFamily"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"family-{n}")
    name = factory.LazyAttribute(lambda f: f.code.title())


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Product"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P-{n:03d}")
    name = factory.LazyAttribute(lambda p: f"Product {p.code}")
    family = factory.SubFactory(FamilyFactory)
    kind = "subscription"
    billing_period = "yearly"
    tax_rate = Decimal("19.00")


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.ProductPrice"

    product = factory.SubFactory(ProductFactory)
    currency = "EUR"
    list_price = Decimal("100.00")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Contact"

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda c: f"{c.last_name.lower()}@customer.example")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.OrderLine"

    account = factory.SubFactory(AccountFactory)
    ordered_on = factory.LazyFunction(lambda: date.today())
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")
    net_amount = Decimal("100.00")
    currency = "EUR"
    external_ref = factory.Sequence(lambda n: f"OL-{n:06d}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Task"

    title = factory.Sequence(lambda n: f"Task {n}")
    due_at = factory.LazyFunction(timezone.now)
    assignee = factory.SubFactory(UserFactory)
    account = None
