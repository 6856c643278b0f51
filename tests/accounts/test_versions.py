"""The account's version: raised by the database in the same transaction as any
write concerning the account (accounts.versions), whatever wrote it."""

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts import versions
from accounts.models import Account, Task
from contracts.models import ContractLine
from core.bulk import load_rows
from tests.factories import AccountFactory, ContactFactory, ContractFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _version(account) -> int:
    return Account.objects.values_list("version", flat=True).get(pk=account.pk)


def test_every_table_naming_an_account_carries_the_triggers():
    tracked = {table for table, _via in versions.tracked()}
    assert {"accounts_task", "accounts_contact", "accounts_timelineentry",
            "contracts_invoice", "contracts_invoiceline", "offers_offeroption",
            "accounts_handoff_products"} <= tracked  # fmt: skip
    # every table of the schema with an account_id column, history copies aside
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE column_name = 'account_id' AND table_schema = 'public'"
        )
        named = {t for (t,) in cursor.fetchall() if "historical" not in t}
    assert named <= tracked
    assert versions.installed_tables() == tracked | {"accounts_account"}
    assert versions.install() is False  # in place: the next migrate does nothing


def test_orm_writes_raise_the_version_and_a_rollback_does_not():
    account = AccountFactory()
    start = _version(account)
    task = TaskFactory(account=account)
    assert _version(account) == start + 1
    Task.objects.filter(pk=task.pk).update(title="Call back")
    assert _version(account) == start + 2
    task.delete()
    assert _version(account) == start + 3
    with pytest.raises(RuntimeError), transaction.atomic():
        TaskFactory(account=account)
        raise RuntimeError
    assert _version(account) == start + 3


def test_moving_a_row_raises_both_accounts():
    first, second = AccountFactory(), AccountFactory()
    contact = ContactFactory(account=first)
    before = _version(first), _version(second)
    ContactFactory._meta.model.objects.filter(pk=contact.pk).update(account=second)
    assert (_version(first), _version(second)) == (before[0] + 1, before[1] + 1)


def test_bulk_sql_raises_each_account_once_per_statement():
    contract = ContractFactory()
    account = contract.account
    other = AccountFactory()
    start, other_start = _version(account), _version(other)
    # the nightly jobs' kind of write: a set-based UPDATE of rows that name the
    # account through their parent (contract lines through the contract)
    assert ContractLine.objects.filter(contract=contract).update(quantity=F("quantity"))
    assert _version(account) == start + 1
    # and a COPY of many rows (core.bulk) into a table that names the account
    load_rows(Task, [{"account_id": account.pk, "title": f"T{i}",
                      "due_at": timezone.now(), "assignee_id": account.owner_id}
                     for i in range(50)])  # fmt: skip
    assert Task.objects.filter(account=account).count() == 50
    assert _version(account) == start + 2
    assert _version(other) == other_start
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_task WHERE account_id = %s", [account.pk])
    assert _version(account) == start + 3


def test_an_account_saved_from_an_old_copy_is_raised_never_lowered():
    account = AccountFactory()
    stale = Account.objects.get(pk=account.pk)
    TaskFactory(account=account)
    TaskFactory(account=account)
    current = _version(account)
    stale.name = "Renamed"
    stale.save()
    assert _version(account) == current + 1


def test_held_accounts_are_raised_once_while_held_and_let_go_after():
    first, second = AccountFactory(), AccountFactory()
    before = _version(first), _version(second)
    with versions.held([second.pk, first.pk, second.pk, None]):
        assert (_version(first), _version(second)) == (before[0] + 1, before[1] + 1)
        TaskFactory(account=first)  # its trigger leaves the held account alone
        ContactFactory(account=second)
        with versions.held([first.pk]):  # nested: the outer one holds it already
            TaskFactory(account=first)
        TaskFactory(account=first)
        assert (_version(first), _version(second)) == (before[0] + 1, before[1] + 1)
    TaskFactory(account=first)  # let go: raised as usual
    assert _version(first) == before[0] + 2
    with versions.held([]):  # nothing to hold: no statement
        pass


def test_a_rolled_back_hold_leaves_the_accounts_to_the_triggers():
    account = AccountFactory()
    start = _version(account)
    with pytest.raises(RuntimeError), transaction.atomic(), versions.held([account.pk]):
        raise RuntimeError
    assert _version(account) == start
    TaskFactory(account=account)
    assert _version(account) == start + 1
