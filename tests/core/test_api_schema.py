"""The API schema documents every error answer an operation gives (400, 404) and
states the business rules a client can check beforehand."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from offers.models import Offer
from offers.services.building import MAX_DURATION_MONTHS
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def schema(client, cast):
    client.force_login(cast.admin)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_documents_its_400_and_404(schema):
    seen = 0
    for name, operation in operations(schema):
        parameters = operation.get("parameters", [])
        codes = set(operation["responses"])
        if any(p["in"] == "path" for p in parameters):
            assert "404" in codes, name
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            assert "400" in codes, name
        assert {"401", "403"} <= codes, name
        seen += 1
    assert seen >= 25


def test_the_offer_schema_states_its_business_rules(schema):
    fields = schema["components"]["schemas"]["OfferRequest"]["properties"]
    duration = fields["duration_months"]
    assert (duration["minimum"], duration["maximum"]) == (1, MAX_DURATION_MONTHS)
    assert "Today or later" in fields["valid_until"]["description"]
    assert "Between 1990-01-01 and 2100-12-31" in fields["valid_until"]["description"]
    assert "of the account" in fields["contact"]["description"]


@pytest.mark.parametrize(
    ("duration", "accepted"), [(0, False), (1, True), (120, True), (121, False)]
)
def test_the_api_keeps_to_the_duration_the_schema_states(cast, duration, accepted):
    account = AccountFactory(owner=cast.kam)
    contact = ContactFactory(account=account)
    api = APIClient()
    api.force_authenticate(cast.kam)
    response = api.post(
        "/api/v1/offers/",
        {
            "account": account.pk,
            "contact": contact.pk,
            "title": "Seats",
            "valid_until": str(timezone.localdate() + timedelta(days=30)),
            "duration_months": duration,
        },
        format="json",
    )
    assert response.status_code == (201 if accepted else 400), response.content
    if not accepted:
        assert "duration_months" in response.json()
    assert Offer.objects.count() == int(accepted)
