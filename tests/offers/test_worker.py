"""Send an offer and let a real Celery worker deliver it with the PDF."""

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.models import OutboundMessage
from offers.services import building as offer_building
from offers.services import sending as offer_sending
from tests.conftest import wait_for
from tests.factories import AccountFactory, ContactFactory, PriceFactory, ProductFactory
from tests.offers.helpers import ensure_defaults

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.pdf
def test_sent_offer_arrives_with_its_pdf(celery_worker, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ensure_defaults()
    seat = ProductFactory(code="SEAT", name="Enterprise seat")
    PriceFactory(product=seat, list_price=Decimal("360.00"))
    account = AccountFactory(
        owner=cast.kam, name="Hanse Verlag", legal_name="Hanse Verlag GmbH"
    )
    contact = ContactFactory(account=account, email="cfo@hanse.example")
    offer = offer_building.offer_create(
        account=account,
        contact=contact,
        actor=cast.kam,
        title="Seats 2027",
        valid_until=timezone.localdate() + timedelta(days=20),
        option_names=["Team", "Company"],
    )
    team, company = offer.options.all()
    offer_building.line_add(
        option=team, actor=cast.kam, product=seat, quantity=Decimal("5")
    )
    offer_building.line_add(
        option=company,
        actor=cast.kam,
        product=seat,
        quantity=Decimal("40"),
        discount_percent=Decimal("10"),
    )
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    assert wait_for(lambda: OutboundMessage.objects.filter(status="sent").exists())
    email = mail.outbox[0]
    assert email.to == ["cfo@hanse.example"]
    _name, pdf, mimetype = email.attachments[0]
    assert mimetype == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    # 5 × 360 = 1,800.00; 40 × 360 − 10 % = 12,960.00; gross 15,422.40
    for expected in (
        "Team",
        "Company",
        "1,800.00",
        "12,960.00",
        "15,422.40",
        "Hanse Verlag GmbH",
    ):
        assert expected in text, expected
