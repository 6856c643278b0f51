import factory
from django.contrib.auth.models import Group

from accounts.models import Account
from kam.core.models import Team, User
from kam.core.roles import ROLES_USING_ADMIN, Role


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
