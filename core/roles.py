"""The roles of KAM users; a role is a Django group of the same name."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    KEY_ACCOUNT_MANAGER = "Key Account Manager", _("Key Account Manager")
    SALES_MANAGER = "Sales Manager", _("Sales Manager")
    CUSTOMER_SERVICES = "Customer Services", _("Customer Services")
    ADMINISTRATOR = "Administrator", _("Administrator")


# Roles whose holders see every account, offer, contract and invoice.
ROLES_SEEING_EVERYTHING = frozenset({Role.ADMINISTRATOR, Role.CUSTOMER_SERVICES})

# Roles that work in the Django admin (their users get is_staff).
ROLES_USING_ADMIN = frozenset({Role.ADMINISTRATOR, Role.CUSTOMER_SERVICES})

# Which home page a user with several roles lands on: first match wins.
ROLE_PRIORITY = (
    Role.ADMINISTRATOR,
    Role.CUSTOMER_SERVICES,
    Role.SALES_MANAGER,
    Role.KEY_ACCOUNT_MANAGER,
)
