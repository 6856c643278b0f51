from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from insights.filters import report_scope
from insights.selectors.pipeline import pipeline_report
from offers.models import Offer, OfferEvent
from offers.services import building as offer_building
from tests.factories import AccountFactory, ContactFactory, PriceFactory, ProductFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)
S = Offer.Status


def at(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def offers(cast):
    product = ProductFactory(code="PIPE")
    PriceFactory(product=product, list_price=Decimal("100"))
    account = AccountFactory(owner=cast.kam)
    contact = ContactFactory(account=account)

    def offer(status, created, qty, price, discount, *, sent=None, events=()):
        made = offer_building.offer_create(
            account=account, contact=contact, actor=cast.kam, title=status,
            valid_until=date(2099, 1, 1),
        )  # fmt: skip
        offer_building.line_add(
            option=made.options.get(), actor=cast.kam, product=product,
            quantity=Decimal(qty),
        )  # fmt: skip
        made.options.get().lines.update(
            unit_price=Decimal(price), discount_percent=Decimal(discount)
        )
        extra = {"accepted_option": made.options.get()} if status == S.ACCEPTED else {}
        Offer.objects.filter(pk=made.pk).update(
            status=status, created_at=created, sent_at=sent, **extra
        )
        for to_status, when in events:
            OfferEvent.objects.create(offer=made, to_status=to_status, at=when)
        return made

    offer(S.DRAFT, at(2026, 11, 20, 12), 10, 100, 10)
    offer(S.SENT, at(2026, 8, 1, 12), 5, 200, 0, sent=at(2026, 8, 2, 12))
    offer(S.ACCEPTED, at(2026, 3, 1, 9), 4, 250, 20, sent=at(2026, 3, 2, 9), events=[
        (S.PENDING_APPROVAL, at(2026, 3, 1, 10)), (S.APPROVED, at(2026, 3, 1, 16)),
        (S.ACCEPTED, at(2026, 3, 10, 9)),
    ])  # fmt: skip
    offer(S.DECLINED, at(2026, 4, 1, 8), 1, 1000, 0, sent=at(2026, 4, 2, 9), events=[
        (S.PENDING_APPROVAL, at(2026, 4, 1, 9)), (S.APPROVED, at(2026, 4, 1, 21)),
        (S.DECLINED, at(2026, 4, 20, 9)),
    ])  # fmt: skip
    offer(S.EXPIRED, at(2025, 12, 1, 9), 1, 100, 0, events=[
        (S.EXPIRED, at(2026, 1, 15, 2)),
    ])  # fmt: skip
    offer(S.ACCEPTED, at(2025, 6, 1, 9), 1, 100, 0, events=[
        (S.ACCEPTED, at(2025, 7, 1, 9)),
    ])  # fmt: skip
    # another team's offer never counts for the North manager
    foreign = AccountFactory(owner=cast.kam3)
    offer_building.offer_create(
        account=foreign, contact=ContactFactory(account=foreign), actor=cast.kam3,
        title="South", valid_until=date(2099, 1, 1),
    )  # fmt: skip


def test_pipeline_numbers_by_hand(offers, cast):
    scope = report_scope(
        user=cast.manager, params={"start": "2026-01-01", "end": "2026-11-23"}
    )
    data = pipeline_report(scope, today=TODAY)
    counts = {r["status"]: (r["count"], r["value"]) for r in data["statuses"]}
    assert counts[S.DRAFT] == (1, Decimal("900.00"))
    assert counts[S.SENT] == (1, Decimal("1000.00"))
    assert counts[S.ACCEPTED] == (1, Decimal("800.00"))
    assert counts[S.DECLINED] == (1, Decimal("1000.00"))
    assert counts[S.EXPIRED] == (0, Decimal("0"))  # made before the period
    ages = {r["status"]: r["buckets"] for r in data["ages"]}
    assert ages[S.DRAFT] == [1, 0, 0, 0]  # 3 days old
    assert ages[S.SENT] == [0, 0, 0, 1]  # 114 days old
    assert (data["won"], data["lost"], data["win_rate"]) == (1, 2, Decimal("33.3"))
    # sent in the period: list 3,000, net 2,800
    assert (data["sent_count"], data["avg_discount"]) == (3, Decimal("6.7"))
    assert data["approvals"] == 2
    assert data["turnaround_median_h"] == 9.0 and data["turnaround_mean_h"] == 9.0


def test_pipeline_page_kam_and_export(client, offers, cast):
    client.force_login(cast.kam3)
    body = client.get(reverse("insights:pipeline")).content.decode()
    assert 'data-testid="win-rate"' in body
    client.force_login(cast.manager)
    response = client.get(
        reverse("insights:pipeline"),
        {"start": "2026-01-01", "end": "2026-11-23", "format": "csv", "table": "2"},
    )
    text = response.content.decode("utf-8-sig")
    assert "Win rate (%),33.3" in text
    assert "Average discount (%),6.7" in text
