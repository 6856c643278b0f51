"""The approver is never the one who asked, the account's owner, the offer's creator,
nor anyone who changed the offer since its last approval: then it goes one level up."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.exceptions import ApplicationError
from core.roles import Role
from offers.models import Offer
from offers.services import approval as offer_approval
from offers.services import building as offer_building
from tests.factories import make_user
from tests.offers.helpers import ensure_defaults

pytestmark = pytest.mark.django_db
S = Offer.Status


@pytest.fixture(autouse=True)
def _rules():
    ensure_defaults()


def discounted(offer, actor):
    line = offer.options.first().lines.first()
    offer_building.line_update(line=line, actor=actor, discount_percent=Decimal("30"))


def test_a_manager_cannot_approve_what_they_asked_for(cast, offer, client):
    discounted(offer, cast.kam)
    # the defect: the manager asks, then approves alone
    offer_approval.offer_request_approval(offer=offer, actor=cast.manager)
    with pytest.raises(ApplicationError, match="You asked for this approval"):
        offer_approval.offer_decide(offer=offer, actor=cast.manager, approve=True)
    offer.refresh_from_db()
    assert offer.status == S.PENDING_APPROVAL and offer.approved_by is None
    # it went one level up: an administrator decides, and the queue says so
    admin = make_user("boss", Role.ADMINISTRATOR)
    assert offer_approval.approval_route(offer) == ([cast.admin, admin], True)
    client.force_login(cast.manager)
    assert offer.label not in client.get(reverse("offers:approvals")).content.decode()
    client.force_login(admin)
    queue = client.get(reverse("offers:approvals")).content.decode()
    assert offer.label in queue and 'data-testid="escalated"' in queue
    offer_approval.offer_decide(offer=offer, actor=admin, approve=True)
    offer.refresh_from_db()
    assert (offer.status, offer.approved_by) == (S.APPROVED, admin)


def test_a_manager_who_changed_the_offer_cannot_approve_it(cast, offer):
    discounted(offer, cast.kam)
    offer_approval.offer_request_approval(offer=offer, actor=cast.kam)
    offer_approval.offer_decide(offer=offer, actor=cast.manager, approve=True)
    # the manager edits a line (the approval is withdrawn), the KAM asks again
    line = offer.options.first().lines.first()
    offer_building.line_update(
        line=line, actor=cast.manager, discount_percent=Decimal("40")
    )
    offer_approval.offer_request_approval(offer=offer, actor=cast.kam)
    with pytest.raises(ApplicationError, match="You changed this offer"):
        offer_approval.offer_decide(offer=offer, actor=cast.manager, approve=True)
    offer.refresh_from_db()
    assert offer.changed_by_ids == [cast.manager.pk]  # since the last approval
    assert offer_approval.approval_route(offer) == ([cast.admin], True)


def test_the_team_manager_decides_what_a_kam_asked_for(cast, offer, client):
    discounted(offer, cast.kam)
    offer_approval.offer_request_approval(offer=offer, actor=cast.kam)
    assert offer_approval.approval_route(offer) == ([cast.manager], False)
    for wrong in (cast.kam, cast.manager2):
        with pytest.raises(ApplicationError):
            offer_approval.offer_decide(offer=offer, actor=wrong, approve=True)
    client.force_login(cast.manager)
    queue = client.get(reverse("offers:approvals")).content.decode()
    assert offer.label in queue and 'data-testid="escalated"' not in queue
    offer_approval.offer_decide(offer=offer, actor=cast.manager, approve=True)
    offer.refresh_from_db()
    assert offer.approved_by == cast.manager and offer.changed_by_ids == []
