"""Every state machine, walked pair by pair: each allowed move happens and is
recorded, each other move is refused with a message and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contracts.models import Contract, ContractEvent
from core import state
from core.exceptions import ApplicationError
from core.models import OutboundMessage
from offers.models import InboundMail, Offer, OfferEvent
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db
MACHINES = [Offer, Contract, InboundMail, OutboundMessage]


@pytest.mark.parametrize("model", MACHINES, ids=lambda m: m.__name__)
def test_every_status_has_its_moves_and_they_lead_to_statuses(model):
    statuses = set(model.Status.values)
    assert set(model.TRANSITIONS) == statuses
    for source, targets in model.TRANSITIONS.items():
        assert targets <= statuses, source
        assert source not in targets, source  # staying put is no move


def an_offer(cast):
    from offers.services import building as offer_building

    account = AccountFactory(owner=cast.kam)
    return offer_building.offer_create(
        account=account,
        contact=ContactFactory(account=account),
        actor=cast.kam,
        title="Seats",
        valid_until=timezone.localdate() + timedelta(days=30),
    )


def a_contract(cast):
    from tests.contracts.helpers import contract_for
    from tests.offers.helpers import ensure_defaults

    ensure_defaults()
    return contract_for(cast.kam, sign=False)


def a_mail(cast):
    return InboundMail.objects.create(from_email="x@example.com", subject="Hi")


SUBJECTS = {
    Offer: (an_offer, OfferEvent),
    Contract: (a_contract, ContractEvent),
    InboundMail: (a_mail, None),
}


@pytest.mark.parametrize("model", list(SUBJECTS), ids=lambda m: m.__name__)
def test_every_move_of_every_machine(cast, settings, tmp_path, model):
    settings.MEDIA_ROOT = tmp_path
    make, events = SUBJECTS[model]
    obj = make(cast)
    assert state.event_model(model) is events
    allowed = refused = 0
    for source, target, ok in state.moves(model):
        obj.status = source
        before = events.objects.count() if events else 0
        if ok:
            state.transition(obj, target, actor=cast.admin, comment="walk")
            assert obj.status == target
            allowed += 1
            if events:
                event = events.objects.order_by("-pk").first()
                assert (event.from_status, event.to_status, event.actor) == (
                    source,
                    target,
                    cast.admin,
                )
                assert event.from_label == model.Status(source).label
                assert event.to_label == model.Status(target).label
        else:
            with pytest.raises(ApplicationError) as refusal:
                state.transition(obj, target, actor=cast.admin)
            message = refusal.value.message
            assert str(model.Status(source).label) in message, message
            assert str(model.Status(target).label) in message, message
            assert obj.status == source
            refused += 1
        after = events.objects.count() if events else 0
        assert after - before == int(ok and events is not None)
    n = len(model.Status.values)
    assert allowed + refused == n * n
    assert allowed == sum(len(t) for t in model.TRANSITIONS.values())


def test_lock_reads_afresh_and_lock_all_orders_by_key(cast):
    first, second = an_offer(cast), an_offer(cast)
    Offer.objects.filter(pk=first.pk).update(title="Changed elsewhere")
    assert state.lock(first, "account").title == "Changed elsewhere"
    locked = state.lock_all(Offer.objects.filter(pk__in=[second.pk, first.pk]))
    assert [o.pk for o in locked] == sorted([first.pk, second.pk])
