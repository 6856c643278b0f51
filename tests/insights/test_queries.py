"""Every report keeps the same number of queries whatever the data size."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from insights.services.health import health_recompute
from planning.services import voice
from renewals.models import Churn
from tests.factories import AccountFactory, ContactFactory
from tests.insights.helpers import contract, family_product, page_queries, subscribe

pytestmark = pytest.mark.django_db
REPORTS = ["upsell", "retention", "pipeline", "portfolio", "health"]


def grow(cast, product, n, start):
    today = timezone.localdate()
    for i in range(start, start + n):
        account = AccountFactory(name=f"Grow {i}", owner=cast.kam, tier="A",
                                 industry="Publishing", is_key_account=True)  # fmt: skip
        ContactFactory(account=account)
        on = contract(account, start=today - timedelta(days=200),
                      end=today + timedelta(days=60 + i), arr=1200)  # fmt: skip
        subscribe(account, product, quantity=i + 1, on=on)
        contract(account, start=date(2024, 1, 1), end=date(2024, 12, 31),
                 status=Contract.Status.ENDED, arr=900)  # fmt: skip
        Churn.objects.create(account=account, lost_on=today - timedelta(days=i + 1),
                             lost_arr=Decimal(100 + i), currency="EUR",
                             reason="price")  # fmt: skip
        voice.nps_record(actor=cast.kam, account=account, score=i % 11)
    health_recompute()


@pytest.mark.parametrize("report", REPORTS)
def test_report_queries_do_not_grow(client, cast, report):
    _family, product = family_product("QRY")
    grow(cast, product, 3, 0)
    client.force_login(cast.manager)
    url = reverse(f"insights:{report}")

    def queries():
        return page_queries(client, url)

    small = queries()
    grow(cast, product, 12, 3)
    assert queries() == small
