"""Offers: access rule on every URL, tokens, and status that forms/API cannot set."""

import base64
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from offers.models import Offer, OfferTemplate
from offers.services import answers as offer_answers
from offers.services import approval as offer_approval
from offers.services import building as offer_building
from offers.services import sending as offer_sending
from offers.services import tokens as offer_tokens
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def urls(offer):
    option = offer.options.first()
    line = option.lines.first()
    return [
        ("get", reverse("offers:detail", args=[offer.pk])),
        ("get", reverse("offers:edit", args=[offer.pk])),
        ("get", reverse("offers:pdf", args=[offer.pk])),
        ("post", reverse("offers:option-add", args=[offer.pk])),
        ("post", reverse("offers:option-delete", args=[offer.pk, option.pk])),
        ("post", reverse("offers:line-add", args=[offer.pk, option.pk])),
        ("post", reverse("offers:line-update", args=[offer.pk, line.pk])),
        ("post", reverse("offers:request-approval", args=[offer.pk])),
        ("post", reverse("offers:send", args=[offer.pk])),
        ("post", reverse("offers:revise", args=[offer.pk])),
        ("post", reverse("acceptance:phone-accept", args=[offer.pk])),
        ("get", f"/api/v1/offers/{offer.pk}/"),
    ]


def test_another_teams_kam_gets_404_everywhere(client, cast, offer):
    client.force_login(cast.kam3)
    for method, url in urls(offer):
        assert getattr(client, method)(url).status_code == 404, url
    client.force_login(cast.manager2)
    assert (
        client.post(
            reverse("offers:decide", args=[offer.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    offer.refresh_from_db()
    assert offer.status == "draft"
    assert offer.options.count() == 2


def test_tampered_expired_and_superseded_tokens(client, cast, offer):
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    token = offer_tokens.acceptance_token(offer)
    assert client.get(reverse("acceptance:accept", args=[token])).status_code == 200
    assert (
        client.get(reverse("acceptance:accept", args=[token[:-3] + "abc"])).status_code
        == 404
    )
    forged = (
        base64.urlsafe_b64encode(json.dumps({"o": offer.pk}).encode()).decode() + ":x:y"
    )
    assert client.get(reverse("acceptance:accept", args=[forged])).status_code == 404
    Offer.objects.filter(pk=offer.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    response = client.get(reverse("acceptance:accept", args=[token]))
    assert response.status_code == 410
    Offer.objects.filter(pk=offer.pk).update(
        valid_until=timezone.localdate() + timedelta(days=5)
    )
    offer_answers.offer_revise(offer=offer, actor=cast.kam)
    assert client.get(reverse("acceptance:accept", args=[token])).status_code == 410


def test_customer_accepts_once_through_the_page(client, cast, offer):
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    url = reverse("acceptance:accept", args=[offer_tokens.acceptance_token(offer)])
    premium = offer.options.last()
    missing_tick = client.post(url, {"option": premium.pk, "name": "Vera"})
    assert "This field is required." in missing_tick.content.decode()
    offer.refresh_from_db()
    assert offer.status == "sent"
    data = {
        "option": premium.pk,
        "name": "Vera Meier",
        "confirm": "on",
        "status": "declined",
    }
    client.post(url, data, HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.7")
    client.post(url, data)  # twice: nothing changes
    offer.refresh_from_db()
    assert (
        offer.status,
        offer.accepted_option,
        offer.signer_ip,
        offer.signer_user_agent,
    ) == (
        "accepted",
        premium,
        "203.0.113.7",
        "Firefox",
    )
    assert offer.events.filter(to_status="accepted").count() == 1
    page = client.get(url).content.decode()
    assert "Thank you!" in page


def test_status_and_approval_cannot_be_posted(client, cast, offer):
    client.force_login(cast.kam)
    data = {
        "title": "Changed",
        "contact": offer.contact_id,
        "language": "en",
        "valid_until": offer.valid_until.isoformat(),
        "start_on": offer.start_on.isoformat(),
        "duration_months": 12,
        "billing_period": "yearly",
        "notice_days": 90,
        "status": "accepted",
        "approved_by": cast.manager.pk,
        "needs_approval": "false",
    }
    client.post(reverse("offers:edit", args=[offer.pk]), data)
    offer.refresh_from_db()
    assert offer.title == "Changed"
    assert offer.status == "draft"
    assert offer.approved_by is None
    response = client.post(
        "/api/v1/offers/",
        {
            "account": offer.account_id,
            "contact": offer.contact_id,
            "title": "API",
            "valid_until": offer.valid_until.isoformat(),
            "status": "accepted",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "draft"


def test_api_reads_offers_and_creates_drafts(client, cast, offer):
    client.force_login(cast.kam)
    listing = client.get("/api/v1/offers/").json()
    assert listing["count"] == 1
    premium = listing["results"][0]["options"][1]
    assert premium["totals"]["net"] == "9600.00"
    account = AccountFactory(owner=cast.kam)
    contact = ContactFactory(account=account)
    bad = client.post(
        "/api/v1/offers/",
        {
            "account": account.pk,
            "contact": contact.pk,
            "title": "x",
            "valid_until": (timezone.localdate() - timedelta(days=2)).isoformat(),
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "valid_until" in bad.json()
    foreign = AccountFactory(owner=cast.kam3)
    response = client.post(
        "/api/v1/offers/",
        {
            "account": foreign.pk,
            "contact": ContactFactory(account=foreign).pk,
            "title": "x",
            "valid_until": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 400


def test_manager_queue_and_decision_page(client, cast, offer):
    offer_building.line_update(
        line=offer.options.first().lines.first(), actor=cast.kam, discount_percent=30
    )
    offer_approval.offer_request_approval(offer=offer, actor=cast.kam)
    client.force_login(cast.manager)
    assert offer.label in client.get(reverse("offers:approvals")).content.decode()
    client.force_login(cast.manager2)
    assert offer.label not in client.get(reverse("offers:approvals")).content.decode()
    client.force_login(cast.kam)
    assert client.get(reverse("offers:approvals")).status_code == 403


def test_template_with_unknown_placeholder_is_refused(client, cast):
    template = OfferTemplate.objects.get(kind="email", language="en")
    client.force_login(cast.admin)
    url = reverse("offers:template-edit", args=[template.pk])
    response = client.post(
        url, {"subject": "Hi {{ secret_key }}", "body": "{% load x %}", "closing": ""}
    )
    html = response.content.decode()
    assert "Unknown placeholders: secret_key" in html
    assert "no other template code" in html
    template.refresh_from_db()
    assert "secret_key" not in template.subject
    preview = client.post(
        reverse("offers:template-preview", args=[template.pk]),
        {
            "subject": "Offer {{ offer_number }}",
            "body": "<b>{{ customer_name }}</b>",
            "closing": "",
        },
    )
    text = preview.content.decode()
    assert "Offer OF-2026-00042" in text
    assert "&lt;b&gt;Nordlicht Media GmbH&lt;/b&gt;" in text
    client.force_login(cast.kam)
    assert client.get(url).status_code == 403


def test_a_superseded_revision_cannot_be_accepted(client, cast, offer):
    # given: an offer sent, then revised (the sent one is superseded)
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    token = offer_tokens.acceptance_token(offer)
    revision = offer_answers.offer_revise(offer=offer, actor=cast.kam)
    # when: the customer answers through the old link
    response = client.post(
        reverse("acceptance:accept", args=[token]),
        {"option": offer.options.first().pk, "name": "Vera", "confirm": "on"},
    )
    # then: the link is gone, and neither revision is accepted
    assert response.status_code == 410
    offer.refresh_from_db()
    revision.refresh_from_db()
    assert (offer.status, offer.accepted_option) == ("superseded", None)
    assert revision.status == "draft" and revision.accepted_option is None
    # nor through the service, whatever the channel
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        offer_answers.offer_accept(
            offer=offer, option=offer.options.first(), name="Vera", channel="phone",
            actor=cast.kam,
        )  # fmt: skip
    offer.refresh_from_db()
    assert offer.status == "superseded"
