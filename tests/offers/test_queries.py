from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from offers.services import approval as offer_approval
from offers.services import building as offer_building

pytestmark = pytest.mark.django_db


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_offer_pages_keep_their_query_count(client, cast, offer, products):
    client.force_login(cast.kam)
    urls = [
        reverse("offers:detail", args=[offer.pk]),
        reverse("offers:edit", args=[offer.pk]),
        reverse("offers:list") + "?scope=mine",
    ]
    before = [count(client, url) for url in urls]
    for option in offer.options.all():
        for product in products.values():
            offer_building.line_add(
                option=option, actor=cast.kam, product=product, quantity=Decimal(2)
            )
    offer_building.option_add(offer=offer, actor=cast.kam, name="Gold")
    for _ in range(5):
        offer_building.offer_create(
            account=offer.account, contact=offer.contact, actor=cast.kam, title="More"
        )
    after = [count(client, url) for url in urls]
    assert after == before


def test_approval_queue_keeps_its_query_count(client, cast, offer, products):
    offer_building.line_update(
        line=offer.options.first().lines.first(),
        actor=cast.kam,
        discount_percent=Decimal(30),
    )
    offer_approval.offer_request_approval(offer=offer, actor=cast.kam)
    client.force_login(cast.manager)
    url = reverse("offers:approvals")
    before = count(client, url)
    for _ in range(4):
        other = offer_building.offer_create(
            account=offer.account, contact=offer.contact, actor=cast.kam, title="x"
        )
        offer_building.line_add(
            option=other.options.first(),
            actor=cast.kam,
            product=products["seat"],
            quantity=Decimal(1),
            discount_percent=Decimal(30),
        )
        offer_approval.offer_request_approval(offer=other, actor=cast.kam)
    assert count(client, url) == before
