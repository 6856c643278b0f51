from datetime import date, timedelta
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
    # at home: the tax rule (catalog.tax) bills customers abroad without tax
    country = "DE"
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


# --- offers and contracts in a given state, without walking the whole flow ------
# A test about finalizing, billing or renewing needs a signed or running contract,
# not the offer's sending and acceptance that made it: these factories write the
# offer's rows directly and hand the contract to its owner's writers from there.


def _seat():
    from catalog.models import ProductPrice

    seat = ProductFactory(code="SEAT", name="Seat licence")
    if not ProductPrice.objects.filter(product=seat).exists():
        PriceFactory(product=seat, list_price=Decimal("360.00"))
    return seat


class OfferFactory(factory.django.DjangoModelFactory):
    """An offer with one option ("Standard") and its lines: `lines` is a list of
    (product, quantity), by default five seats at list price. Traits: `sent`,
    `accepted` (the option accepted on the signing link)."""

    class Meta:
        model = "offers.Offer"
        skip_postgeneration_save = True

    account = factory.SubFactory(
        AccountFactory, street="Hafenstr. 1", postal_code="20457", city="Hamburg",
        country="DE", legal_name="Hafen Medien GmbH",
    )  # fmt: skip
    contact = factory.SubFactory(
        ContactFactory,
        account=factory.SelfAttribute("..account"),
        email="buyer@customer.example",
    )
    number = factory.Sequence(lambda n: f"OF-T{n:05d}")
    title = "Seats"
    currency = factory.SelfAttribute("account.currency")
    language = factory.SelfAttribute("account.language")
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(30))
    start_on = factory.LazyFunction(
        lambda: (timezone.localdate().replace(day=1) + timedelta(32)).replace(day=1)
    )
    duration_months = 12
    billing_period = "yearly"
    auto_renew = True
    notice_days = 90
    created_by = factory.SelfAttribute("account.owner")
    status = "draft"

    class Params:
        sent = factory.Trait(
            status="sent",
            sent_at=factory.LazyFunction(timezone.now),
            pdf_sha256="0" * 64,
        )
        accepted = factory.Trait(
            status="accepted",
            sent_at=factory.LazyFunction(timezone.now),
            pdf_sha256="0" * 64,
            answered_at=factory.LazyFunction(timezone.now),
            answer_channel="web",
            signer_name="Buyer",
            signer_ip="192.0.2.1",
        )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # an accepted offer names its option (a check constraint): written as sent,
        # accepted once its option exists
        accept = kwargs.get("status") == "accepted"
        if accept:
            kwargs["status"] = "sent"
        offer = super()._create(model_class, *args, **kwargs)
        offer.accept_when_made = accept
        return offer

    @factory.post_generation
    def lines(offer, create, extracted, **kwargs):
        from catalog import pricing
        from catalog.models import ProductPrice
        from offers.models import OfferEvent, OfferLine, OfferOption

        option = OfferOption.objects.create(offer=offer, name="Standard", position=1)
        for position, (product, quantity) in enumerate(
            extracted or [(_seat(), Decimal(5))], start=1
        ):
            price = ProductPrice.objects.get(product=product, currency=offer.currency)
            OfferLine.objects.create(
                option=option, product=product, description=product.name,
                quantity=Decimal(quantity), unit_price=price.list_price,
                list_price=price.list_price, discount_percent=Decimal(0),
                tax_rate=product.tax_rate, price_unit=pricing.unit_of(product),
                position=position,
            )  # fmt: skip
        if offer.accept_when_made:
            offer.status, offer.accepted_option = "accepted", option
            offer.save(update_fields=["status", "accepted_option"])
        moves = {
            "draft": [""],
            "sent": ["", "draft"],
            "accepted": ["", "draft", "sent"],
        }
        for before, after in zip(
            moves[offer.status], [*moves[offer.status][1:], offer.status], strict=True
        ):
            OfferEvent.objects.create(offer=offer, from_status=before, to_status=after)


class ContractFactory(factory.Factory):
    """A contract made from an accepted offer by its owner
    (`contracts.services.lifecycle.contract_create_from_offer`). Traits: `sent`
    (sent for signature: document filed, email queued), `signed` (signed on the
    link); `finalized_by=<user>` finalizes it (subscriptions, first invoices)."""

    class Meta:
        model = "contracts.Contract"

    offer = factory.SubFactory(OfferFactory, accepted=True)
    status = "draft"
    finalized_by = None

    class Params:
        sent = factory.Trait(status="sent")
        signed = factory.Trait(status="signed")

    @classmethod
    def _create(cls, model_class, *, offer, status, finalized_by):
        from contracts.services import lifecycle
        from contracts.services import signing as contract_signing

        contract = lifecycle.contract_create_from_offer(offer=offer)
        if status in ("sent", "signed"):
            contract = contract_signing.contract_send(contract=contract)
        if status == "signed":
            contract = contract_signing.contract_sign(
                contract=contract, name="Buyer", agreed=True, ip="192.0.2.1"
            )
        if finalized_by is not None:
            contract = lifecycle.contract_finalize(
                contract=contract, actor=finalized_by
            )
        return contract
