"""Customer services cannot change a finalized contract or an issued invoice in the
admin: not a field, not an inline, not by reverting its history, not by an action.
An invoice is corrected only by a credit note."""

from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from contracts.models import Contract, ContractLine, Invoice, InvoiceLine, Subscription
from tests.contracts.helpers import contract_for
from tests.offers.helpers import ensure_defaults

pytestmark = pytest.mark.django_db


@pytest.fixture
def finalized(cast):
    ensure_defaults()
    return contract_for(cast.kam, finalize_by=cast.cs)


def state(contract):
    """Everything a change could touch: the contract, its lines, subscriptions,
    invoices and their lines."""
    return (
        model_to_dict(Contract.objects.get(pk=contract.pk)),
        [model_to_dict(x) for x in ContractLine.objects.filter(contract=contract)],
        [model_to_dict(x) for x in Subscription.objects.filter(contract=contract)],
        [model_to_dict(x) for x in Invoice.objects.filter(contract=contract)],
        [
            model_to_dict(x)
            for x in InvoiceLine.objects.filter(invoice__contract=contract)
        ],
    )


def every_field(obj, **changes):
    """A change form's POST with every field of `obj`, changed where it can be."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key:
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, bool):
            value = "" if value else "on"
        elif isinstance(value, Decimal):
            value = str(value + 1)
        elif isinstance(value, int):
            value = str(value + 7)
        elif isinstance(value, str) and field.attname not in ("status", "currency"):
            value = value + " (changed)"
        data[field.attname] = "" if value is None else value
    data.update(changes)
    return data


def inline_management(prefixes):
    data = {}
    for prefix in prefixes:
        data |= {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data


@pytest.mark.parametrize("who", ["cs", "admin"])
def test_a_finalized_contract_cannot_be_changed_in_the_admin(
    client, cast, finalized, who
):
    before = state(finalized)
    client.force_login(getattr(cast, who))
    url = reverse("admin:contracts_contract_change", args=[finalized.pk])
    page = client.get(url).content.decode()
    assert 'name="trial_days"' not in page  # nothing to type in
    # every field changed, an inline row slipped in, status forged
    data = every_field(finalized, status="draft", _save="Save")
    data |= inline_management(["lines", "subscriptions", "terms", "events"])
    data |= {"lines-0-description": "Free gold", "lines-0-quantity": "999",
             "lines-0-unit_price": "0.00"}  # fmt: skip
    response = client.post(url, data, follow=True)
    assert response.status_code in (200, 403)
    assert state(finalized) == before


@pytest.mark.parametrize("who", ["cs", "admin"])
def test_an_issued_invoice_cannot_be_changed_in_the_admin(client, cast, finalized, who):
    invoice = Invoice.objects.get(contract=finalized)
    before = state(finalized)
    client.force_login(getattr(cast, who))
    url = reverse("admin:contracts_invoice_change", args=[invoice.pk])
    data = every_field(invoice, gross="0.01", net="0.01", tax="0.00", _save="Save")
    data |= inline_management(["lines"])
    data |= {"lines-0-description": "Discount", "lines-0-net": "-100.00"}
    response = client.post(url, data, follow=True)
    assert response.status_code in (200, 403)
    assert state(finalized) == before
    # nor can it be deleted, singly or by the bulk action
    changelist = reverse("admin:contracts_invoice_changelist")
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [invoice.pk], "post": "yes"},
    )
    delete = client.post(reverse("admin:contracts_invoice_delete", args=[invoice.pk]))
    assert delete.status_code in (403, 302)
    assert state(finalized) == before


@pytest.mark.parametrize("who", ["cs", "admin"])
def test_reverting_history_changes_nothing(client, cast, finalized, who):
    """simple-history's "revert" saves an earlier version through the change form;
    here it is read-only, for the contract, its invoices and subscriptions."""
    invoice = Invoice.objects.get(contract=finalized)
    subscription = Subscription.objects.get(contract=finalized)
    before = state(finalized)
    client.force_login(getattr(cast, who))
    for obj, name in [
        (Contract.objects.get(pk=finalized.pk), "contract"),
        (invoice, "invoice"),
        (subscription, "subscription"),
    ]:
        for version in obj.history.all():
            url = reverse(
                f"admin:contracts_{name}_simple_history",
                args=[obj.pk, version.history_id],
            )
            data = every_field(version.instance, _save="Save")
            response = client.post(url, data)
            assert response.status_code == 403, (name, response.status_code)
            page = client.get(url)
            assert page.status_code == 200
            assert b'name="_save"' not in page.content  # shown, not revertible
    assert state(finalized) == before


@pytest.mark.parametrize("action", ["finalize_selected", "mark_signed"])
def test_contract_actions_do_not_change_a_finalized_contract(
    client, cast, finalized, action
):
    before = state(finalized)
    client.force_login(cast.cs)
    response = client.post(
        reverse("admin:contracts_contract_changelist"),
        {"action": action, "_selected_action": [finalized.pk]},
        follow=True,
    )
    assert response.status_code == 200
    if action == "mark_signed":
        assert "there is nothing to sign" in response.content.decode()
    # the signing form behind the action refuses as well
    url = reverse("admin:contracts_contract_sign", args=[finalized.pk])
    assert client.get(url).status_code == 302
    client.post(url, {"signer_name": "X"})
    assert state(finalized) == before


def test_cancelling_a_running_contract_leaves_its_invoices_as_issued(
    client, cast, finalized
):
    """Cancelling stops the subscriptions; what was invoiced stays invoiced until a
    credit note corrects it."""
    invoices = [model_to_dict(i) for i in Invoice.objects.filter(contract=finalized)]
    client.force_login(cast.cs)
    url = reverse("admin:contracts_contract_cancel", args=[finalized.pk])
    client.post(url, {"reason": "Customer insolvent"})
    finalized.refresh_from_db()
    assert finalized.status == "cancelled"
    assert [
        model_to_dict(i) for i in Invoice.objects.filter(contract=finalized)
    ] == invoices


def test_a_paid_mark_and_a_credit_note_are_the_only_ways(client, cast, finalized):
    invoice = Invoice.objects.get(contract=finalized)
    client.force_login(cast.cs)
    url = reverse("admin:contracts_invoice_credit", args=[invoice.pk])
    client.post(url, {"reason": "Wrong seats"})
    invoice.refresh_from_db()
    credit = Invoice.objects.get(corrects=invoice)
    assert credit.kind == "credit_note" and credit.gross == -invoice.gross
    assert invoice.status == "cancelled"


def test_a_history_address_with_no_id_is_a_404(client, cast, finalized):
    invoice = Invoice.objects.get(contract=finalized)
    client.force_login(cast.cs)
    base = reverse("admin:contracts_invoice_history", args=[invoice.pk])
    assert client.get(base).status_code == 200
    for bad in (f"{invoice.pk}/change", "x", "999999"):
        url = reverse("admin:contracts_invoice_history", args=[bad])
        assert client.get(url).status_code == 404, bad


@pytest.mark.parametrize("model", ["contract", "subscription"])
def test_no_delete_and_no_posted_change_for_contracts_and_subscriptions(
    client, cast, finalized, model
):
    obj = (
        Contract.objects.get(pk=finalized.pk)
        if model == "contract"
        else Subscription.objects.get(contract=finalized)
    )
    before = state(finalized)
    client.force_login(cast.cs)
    client.post(
        reverse(f"admin:contracts_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    delete = client.post(reverse(f"admin:contracts_{model}_delete", args=[obj.pk]))
    assert delete.status_code in (403, 302)
    change = client.post(
        reverse(f"admin:contracts_{model}_change", args=[obj.pk]),
        every_field(obj, _save="Save"),
        follow=True,
    )
    said = (
        "cannot be changed" if model == "contract" else "changes through its contract"
    )
    assert said in change.content.decode()
    assert state(finalized) == before
