"""Pages keep a constant number of SQL queries whatever the data size."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.panels import LAZY
from accounts.services import activity, todos
from tests.conftest import account_360
from tests.factories import (
    AccountFactory,
    ContactFactory,
    OrderLineFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def grow(account, user, n):
    """Add n of everything the 360 page and the timeline show."""
    boss = None
    for i in range(n):
        contact = ContactFactory(account=account, reports_to=boss)
        boss = contact if i % 3 == 0 else boss
        activity.touchpoint_log(
            account=account, actor=user, channel="call", subject=f"Call {i}",
            contacts=[contact],
        )  # fmt: skip
        OrderLineFactory(
            account=account, ordered_on=timezone.localdate() - timedelta(days=20 * i)
        )
        todos.task_create(
            title=f"Task {i}",
            due_at=timezone.now(),
            assignee=user,
            account=account,
            actor=user,
        )
        activity.document_upload(
            account=account, actor=user,
            uploaded_file=SimpleUploadedFile(f"d{i}.pdf", b"%PDF-1.4\n%%EOF\n"),
        )  # fmt: skip


def count(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
        assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("view", ["accounts:detail", "accounts:timeline"])
def test_account_360_and_timeline(client, cast, view):
    account = AccountFactory(owner=cast.kam)
    child = AccountFactory(owner=cast.kam, parent=account)
    client.force_login(cast.kam)
    grow(account, cast.kam, 3)
    small = count(client, reverse(view, args=[account.pk]))
    grow(account, cast.kam, 25)
    AccountFactory(owner=cast.kam, parent=child)
    assert count(client, reverse(view, args=[account.pk])) == small


@pytest.mark.parametrize("name", list(LAZY))
def test_each_lazy_section_of_the_360_and_its_cache(client, cast, name):
    account = AccountFactory(owner=cast.kam)
    client.force_login(cast.kam)
    url = reverse("accounts:panel", args=[account.pk, name])
    grow(account, cast.kam, 3)
    small = count(client, url, HTTP_HX_REQUEST="true")
    grow(account, cast.kam, 25)  # the writes raise the version: rendered anew
    assert count(client, url, HTTP_HX_REQUEST="true") == small
    # the same version again: from the cache, with the session, the user (with her
    # roles: core.auth), the account (and the health settings, part of its key)
    cached = count(client, url, HTTP_HX_REQUEST="true")
    if LAZY[name].key is None:  # upsell: never cached
        assert cached == small
    else:
        assert cached == (4 if name == "health" else 3) < small


@pytest.mark.parametrize("who", ["kam", "manager", "cs"])
def test_account_list_with_filters_and_sorting(client, cast, who):
    client.force_login(getattr(cast, who))
    url = reverse("accounts:list") + "?tier=A&tier=C&ordering=-revenue&q=a"
    for _ in range(5):
        TaskFactory(
            assignee=cast.kam,
            account=AccountFactory(owner=cast.kam, name="Alpha", tier="A"),
        )
    small = count(client, url)
    for _ in range(40):
        account = AccountFactory(
            owner=cast.kam2, name="Atlas", tier="C", deputy=cast.kam
        )
        TaskFactory(assignee=cast.kam2, account=account)
    assert count(client, url) == small


def test_kam_home_and_portfolio(client, cast):
    client.force_login(cast.kam)
    AccountFactory.create_batch(3, owner=cast.kam, is_key_account=True)
    home, portfolio = count(client, "/"), count(client, reverse("accounts:portfolio"))
    for account in AccountFactory.create_batch(30, owner=cast.kam, is_key_account=True):
        TaskFactory(assignee=cast.kam, account=account)
    assert count(client, "/") == home
    assert count(client, reverse("accounts:portfolio")) == portfolio


def test_account_list_exports_neutralise_formulas(client, cast):
    AccountFactory(owner=cast.kam, name='=HYPERLINK("https://evil.example","x")')
    client.force_login(cast.kam)
    csv_text = client.get(reverse("accounts:list") + "?format=csv").content.decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK" in csv_text
    assert "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text
    response = client.get(reverse("accounts:list") + "?format=xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ['\'=HYPERLINK("https://evil.example","x")']


def test_relationship_map_svg_is_not_localised(client, cast):
    """German number formatting must not leak into SVG coordinates."""
    import re

    account = AccountFactory(owner=cast.kam)
    boss = ContactFactory(account=account, influence=5)
    ContactFactory(account=account, reports_to=boss, influence=3)
    ContactFactory(account=account, reports_to=boss, influence=2)
    client.force_login(cast.kam)
    client.post(reverse("set_language"), {"language": "de"})
    html = account_360(client, account)
    svg = html[html.index("<svg") : html.index("</svg>")]
    coordinates = re.findall(r' (?:x|y|width|height)="([^"]+)"', svg)
    assert len(coordinates) >= 12
    assert all(re.fullmatch(r"-?\d+", c) for c in coordinates), coordinates
    assert re.search(r'd="M\d+ \d+ V\d+ H\d+ V\d+"', svg)
