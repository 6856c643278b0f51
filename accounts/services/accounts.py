from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, TimelineEntry
from accounts.validators import normalize_vat, vat_error
from core.exceptions import ApplicationError
from core.i18n import Later

EDITABLE_FIELDS = [
    "name",
    "legal_name",
    "vat_id",
    "street",
    "postal_code",
    "city",
    "country",
    "currency",
    "language",
    "industry",
    "parent",
    "deputy",
    "service_path",
    "complexity",
    "lifecycle",
    "is_key_account",
    "key_account_criteria",
    "key_account_score",
    "revenue_potential",
    "strategic_fit",
    # billing: who receives invoices, in which format, with which references
    "billing_contact",
    "billing_email",
    "einvoice_format",
    "buyer_reference",
    "electronic_address",
    "sepa_mandate_ref",
    "sepa_debtor_iban",
]


def _validate_billing(account: Account) -> None:
    from stdnum import iban

    contact = account.billing_contact
    if contact is not None and contact.account_id != account.pk:
        raise ApplicationError(
            _("The billing contact must be one of this account's contacts."),
            extra={"field": "billing_contact"},
        )
    account.sepa_debtor_iban = account.sepa_debtor_iban.replace(" ", "").upper()
    if account.sepa_debtor_iban and not iban.is_valid(account.sepa_debtor_iban):
        raise ApplicationError(
            _("This is not a valid IBAN."), extra={"field": "sepa_debtor_iban"}
        )
    if account.sepa_mandate_ref and not account.sepa_debtor_iban:
        raise ApplicationError(
            _("A direct debit mandate needs the account's IBAN."),
            extra={"field": "sepa_debtor_iban"},
        )
    account.buyer_reference = account.buyer_reference.strip()


def _validate(account: Account) -> None:
    account.vat_id = normalize_vat(account.vat_id)
    account.country = (account.country or "").upper()
    if error := vat_error(account.vat_id, account.country):
        raise ApplicationError(error, extra={"field": "vat_id"})
    _validate_billing(account)
    if account.deputy_id and account.deputy_id == account.owner_id:
        raise ApplicationError(
            _("The deputy must be another person than the owner."),
            extra={"field": "deputy"},
        )
    parent = account.parent
    seen = {account.pk}
    while parent is not None:
        if parent.pk in seen:
            raise ApplicationError(
                _("An account cannot be part of its own corporate group."),
                extra={"field": "parent"},
            )
        seen.add(parent.pk)
        parent = parent.parent
    criteria = account.key_account_criteria
    if criteria is None:
        criteria = []
    if not isinstance(criteria, list):
        raise ApplicationError(
            _("The selection criteria must be a list."),
            extra={"field": "key_account_criteria"},
        )
    unknown = set(map(str, criteria)) - set(Account.Criterion.values)
    if unknown:
        raise ApplicationError(
            _("Unknown selection criteria: %s") % ", ".join(sorted(unknown)),
            extra={"field": "key_account_criteria"},
        )
    account.key_account_criteria = list(dict.fromkeys(criteria))


@transaction.atomic
def account_create(*, owner, actor, **fields) -> Account:
    """Create an account owned by `owner`."""
    account = Account(owner=owner, **fields)
    _validate(account)
    account.save()
    TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(gettext_noop("Account created")),
        actor=actor,
    )
    return account


@transaction.atomic
def account_update(*, account: Account, actor, **fields) -> Account:
    """Change an account's master data (not its owner: see account_assign)."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ApplicationError(_("The field %s cannot be changed here.") % name)
        setattr(account, name, value)
    _validate(account)
    account._history_user = actor
    account.save(update_fields=[*fields, "updated_at"])
    return account


@transaction.atomic
def account_assign(*, account: Account, owner, actor) -> Account:
    """Give an account to another key account manager; their open tasks move too."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.owner_id == owner.pk:
        return account
    previous = account.owner
    account.owner = owner
    if account.deputy_id == owner.pk:
        account.deputy = None
    account._history_user = actor
    account.save(update_fields=["owner", "deputy", "updated_at"])
    account.tasks.filter(assignee=previous, done_at__isnull=True).update(assignee=owner)
    TimelineEntry.objects.create(
        account=account,
        kind=TimelineEntry.Kind.EVENT,
        title=Later(gettext_noop("Assigned to %(owner)s"), owner=str(owner)),
        summary=Later(gettext_noop("Previously %(previous)s"), previous=str(previous)),
        actor=actor,
    )
    return account
