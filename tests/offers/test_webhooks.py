"""Anymail webhooks: tracking (authenticated, applied once) and inbound replies."""

import base64
import json

import pytest
from django.test import override_settings

from accounts.models import TimelineEntry
from kam.core.models import OutboundMessage
from offers import services

pytestmark = pytest.mark.django_db
SECRET = "hook-user:hook-pass"


def auth(secret=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def postmark_event(message_id, record_type="Open", event_id="1"):
    return {
        "RecordType": record_type,
        "MessageID": message_id,
        "ReceivedAt": "2026-11-23T10:00:00Z",
        "Recipient": "vera@nordlicht.example",
        "Tag": "",
        "MessageStream": "outbound",
        "ID": event_id,
        "Metadata": {},
    }


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_tracking_webhook_is_authenticated_and_applied_once(client, cast, offer):
    services.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    OutboundMessage.objects.filter(pk=offer.message_id).update(
        provider_message_id="pm-42"
    )
    url = "/anymail/postmark/tracking/"
    body = json.dumps(postmark_event("pm-42"))
    assert client.post(url, body, content_type="application/json").status_code in (
        400,
        401,
        403,
    )
    assert client.post(
        url, body, content_type="application/json", **auth("x:y")
    ).status_code in (400, 401, 403)
    offer.refresh_from_db()
    assert offer.delivery == "queued"
    for _ in range(2):
        assert (
            client.post(
                url, body, content_type="application/json", **auth()
            ).status_code
            == 200
        )
    offer.refresh_from_db()
    assert offer.delivery == "opened"
    from offers.models import TrackingEvent

    assert TrackingEvent.objects.count() == 1


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_inbound_reply_webhook_matches_the_offer(client, cast, offer):
    services.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    payload = {
        "FromFull": {"Email": "vera@nordlicht.example", "Name": "Vera Meier"},
        "To": "kam@kam.example",
        "ToFull": [{"Email": "kam@kam.example", "Name": ""}],
        "Subject": "Re: your offer",
        "TextBody": "We take Premium.",
        "HtmlBody": "",
        "Headers": [{"Name": "In-Reply-To", "Value": offer.message.rfc_message_id}],
        "Attachments": [],
        "MessageID": "in-1",
        "Date": "Mon, 23 Nov 2026 10:00:00 +0000",
    }
    response = client.post(
        "/anymail/postmark/inbound/",
        json.dumps(payload),
        content_type="application/json",
        **auth(),
    )
    assert response.status_code == 200
    entry = TimelineEntry.objects.filter(
        account=offer.account, title__startswith="Reply from"
    ).get()
    assert "We take Premium." in entry.summary
