"""Once a manager approves, the offer says so, not 'Needs approval' any more."""

from decimal import Decimal

import pytest
from django.urls import reverse

from offers.services import approval as offer_approval
from offers.services import building as offer_building

pytestmark = pytest.mark.django_db


def test_the_banner_follows_the_approval(client, cast, offer):
    line = offer.options.last().lines.first()
    offer_building.line_update(
        line=line, actor=cast.kam, discount_percent=Decimal("25")
    )
    client.force_login(cast.kam)
    pages = [
        reverse("offers:detail", args=[offer.pk]),
        reverse("offers:edit", args=[offer.pk]),
    ]

    def shown():
        return [client.get(url).content.decode() for url in pages]

    for html in shown():
        assert 'data-testid="needs-approval"' in html
        assert 'data-testid="approved"' not in html
    offer_approval.offer_request_approval(offer=offer, actor=cast.kam)
    offer_approval.offer_decide(
        offer=offer, actor=cast.manager, approve=True, comment="ok"
    )
    for html in shown():
        assert 'data-testid="needs-approval"' not in html  # the defect: it stayed
        assert 'data-testid="approved"' in html
        assert str(cast.manager) in html and "withdraws the approval" in html
    # a changed line withdraws the approval: the warning is back
    offer_building.line_update(
        line=line, actor=cast.kam, discount_percent=Decimal("30")
    )
    for html in shown():
        assert 'data-testid="needs-approval"' in html
        assert 'data-testid="approved"' not in html
