"""Keyset pages (core.paging): the lists continue from the last row shown."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from core.paging import _encode
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def _names(html: str) -> list[str]:
    return re.findall(r'class="fw-semibold">([^<]+)</a>', html)


def _link(html: str, label: str) -> str | None:
    found = re.search(rf'<a class="page-link" href="([^"]+)">{label}</a>', html)
    return found and found.group(1).replace("&amp;", "&")


def test_next_and_previous_walk_every_account_once_in_order(client, cast):
    # ties in the name: the id breaks them, and no row is shown twice or skipped
    for i in range(113):
        AccountFactory(owner=cast.kam, name=f"Acme {i // 3:02d}")
    client.force_login(cast.admin)
    url = reverse("accounts:list")
    html = client.get(url).content.decode()
    pages, seen = [], []
    while True:
        assert f"Page {len(pages) + 1} of 3" in html
        pages.append(_names(html))
        seen += pages[-1]
        following = _link(html, "Next")
        if not following:
            break
        assert "after=" in following
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url + following).content.decode()
        # the page's rows: one range from the key on, no offset
        rows = [q["sql"] for q in ctx.captured_queries if "LIMIT 50" in q["sql"]]
        assert len(rows) == 1 and "OFFSET" not in rows[0]
    expected = list(
        Account.objects.order_by("name", "pk").values_list("name", flat=True)
    )
    assert seen == expected and len(seen) == 113
    # and back again, page by page, the same rows
    for number in (2, 1):
        html = client.get(url + _link(html, "Previous")).content.decode()
        assert _names(html) == pages[number - 1]


@pytest.mark.parametrize("cursor", ["junk", "!!", _encode(["x"]), _encode(["x", "y"]),
                                    "A" * 600])  # fmt: skip
def test_a_cursor_that_is_not_ours_falls_back_to_the_page_number(client, cast, cursor):
    for i in range(60):
        AccountFactory(owner=cast.kam, name=f"Firm {i:02d}")
    client.force_login(cast.admin)
    response = client.get(reverse("accounts:list"),
                          {"page": "2", "after": cursor, "ordering": "-revenue"})  # fmt: skip
    assert response.status_code == 200
    assert "Page 2 of 2" in response.content.decode()
    assert len(_names(response.content.decode())) == 10


def test_the_offer_list_continues_by_key_too(client, cast):
    from tests.factories import OfferFactory

    account = AccountFactory(owner=cast.kam)
    offers = [OfferFactory(account=account, created_by=cast.kam) for _ in range(35)]
    client.force_login(cast.admin)
    url = reverse("offers:list") + "?scope=all"
    first = client.get(url).content.decode()
    second = client.get(url + "&" + _link(first, "Next").lstrip("?").split("&", 1)[1])
    labels = re.findall(r'href="/offers/(\d+)/"', first + second.content.decode())
    assert sorted(map(int, set(labels))) == sorted(o.pk for o in offers)


@pytest.mark.parametrize(
    "order", ["-revenue", "revenue", "tier", "-name", "last_touch"]
)
def test_each_order_of_the_list_pages_through_every_account_in_that_order(
    client, cast, order
):
    from decimal import Decimal

    for i in range(57):
        AccountFactory(owner=cast.kam, name=f"Co {i:02d}", tier="ABC"[i % 3],
                       revenue_12m=Decimal(i % 7 * 1000))  # fmt: skip
    client.force_login(cast.admin)
    url = reverse("accounts:list")
    html = client.get(url, {"ordering": order}).content.decode()
    assert "Not applied" not in html
    assert f'<option value="{order}" selected>' in html
    seen = _names(html)
    html = client.get(url + _link(html, "Next")).content.decode()
    seen += _names(html)
    field = {"revenue": "revenue_12m", "tier": "tier", "name": "name",
             "last_touch": "last_touch_at"}[order.lstrip("-")]  # fmt: skip
    sign = "-" if order.startswith("-") else ""
    expected = Account.objects.order_by(sign + field, sign + "pk")
    assert seen == list(expected.values_list("name", flat=True))


def test_the_sort_orders_read_in_the_readers_language(client, cast):
    client.force_login(cast.kam)
    client.post(reverse("set_language"), {"language": "de"})
    html = client.get(reverse("accounts:list")).content.decode()
    assert ">Umsatz (absteigend)</option>" in html
    assert "(descending)" not in html
