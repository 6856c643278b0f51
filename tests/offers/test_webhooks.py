"""Anymail webhooks: tracking (authenticated, applied once) and inbound replies."""

import base64
import json

import pytest
from django.test import override_settings

from accounts.models import TimelineEntry
from core.models import OutboundMessage
from offers.models import InboundMail
from offers.services import sending as offer_sending

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
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    OutboundMessage.objects.filter(pk=offer.message_id).update(
        provider_message_id="pm-42"
    )
    url = "/anymail/postmark/tracking/"
    body = json.dumps(postmark_event("pm-42"))
    # no or wrong credentials: 401 with the realm to answer, nothing applied
    for credentials in ({}, auth("x:y"), {"HTTP_AUTHORIZATION": "Bearer zzz"}):
        response = client.post(
            url, body, content_type="application/json", **credentials
        )
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="KAM webhooks"'
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
    offer_sending.offer_send(offer=offer, actor=cast.kam)
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


def inbound_payload(subject="Re: OF-2026-00033", headers=()):
    return {
        "FromFull": {"Email": "vera@nordlicht.example", "Name": "Vera Meier"},
        "To": "kam@kam.example",
        "ToFull": [{"Email": "kam@kam.example", "Name": ""}],
        "Subject": subject,
        "TextBody": "Forged: we cancel everything.",
        "HtmlBody": "",
        "Headers": list(headers),
        "Attachments": [],
        "MessageID": "in-9",
        "Date": "Mon, 23 Nov 2026 10:00:00 +0000",
    }


@pytest.mark.parametrize("configured", [{}, {"WEBHOOK_SECRET": ""}])
def test_without_a_secret_every_webhook_is_refused(client, cast, offer, configured):
    """The defect: with no secret a forged bounce and a forged reply were taken."""
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    OutboundMessage.objects.filter(pk=offer.message_id).update(
        provider_message_id="pm-42"
    )
    timeline = TimelineEntry.objects.count()
    with override_settings(ANYMAIL=configured):
        bounce = client.post(
            "/anymail/postmark/tracking/",
            json.dumps(postmark_event("pm-42", record_type="Bounce")),
            content_type="application/json",
        )
        reply = client.post(
            "/anymail/postmark/inbound/",
            json.dumps(inbound_payload(subject=f"Re: {offer.label}")),
            content_type="application/json",
        )
    assert (bounce.status_code, reply.status_code) == (403, 403)
    offer.refresh_from_db()
    assert offer.delivery == "queued"
    assert TimelineEntry.objects.count() == timeline


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
@pytest.mark.parametrize(
    ("url", "body"),
    [
        # a delivery event posted to the inbound endpoint
        ("/anymail/postmark/inbound/", postmark_event("pm-1")),
        # an object where SparkPost sends a list (SendGrid, which also sends one,
        # signs its events: without its key it is refused before reading)
        ("/anymail/sparkpost/tracking/", {"msys": {"message_event": {}}}),
        # not JSON at all
        ("/anymail/postmark/tracking/", "{not json"),
        # an SES notification without its signature
        ("/anymail/amazon_ses/tracking/", {"Type": "Notification", "Message": "{}"}),
    ],
)
def test_a_body_the_provider_parser_cannot_read_is_a_400(client, cast, url, body):
    before = (TimelineEntry.objects.count(), OutboundMessage.objects.count())
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(url, data, content_type="application/json", **auth())
    assert response.status_code == 400, response.content
    assert (TimelineEntry.objects.count(), OutboundMessage.objects.count()) == before


def test_the_deploy_check_names_a_missing_secret(settings):
    from core.checks import webhook_secret_check

    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    [error] = webhook_secret_check(None)
    assert error.id == "kam.E001" and "ANYMAIL_WEBHOOK_SECRET" in error.msg
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert webhook_secret_check(None) == []


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_a_mail_that_only_names_the_offer_is_for_review_not_the_timeline(
    client, cast, offer
):
    """The defect: any mail with "Re: OF-…" in its subject went on the timeline as
    the customer's reply. Only an answer to our own e-mail does now."""
    from core.models import Notification

    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    timeline = TimelineEntry.objects.count()
    response = client.post(
        "/anymail/postmark/inbound/",
        json.dumps(inbound_payload(subject=f"Re: {offer.label}")),
        content_type="application/json",
        **auth(),
    )
    assert response.status_code == 200
    assert TimelineEntry.objects.count() == timeline
    review = Notification.objects.get(user=cast.kam, title__startswith="To review")
    assert "vera@nordlicht.example" in review.title and "Forged" in review.body
    [mail] = InboundMail.objects.all()
    assert (mail.status, mail.offer, mail.is_answer) == ("to_review", offer, False)
    assert review.url.startswith("/offers/inbox/")


def mailgun_event(message_id, key=b"", nonce="tok-1", event="failed"):
    import hashlib
    import hmac

    timestamp = "1795000000"
    return {
        "signature": {
            "timestamp": timestamp,
            "token": nonce,
            "signature": hmac.new(
                key, f"{timestamp}{nonce}".encode(), hashlib.sha256
            ).hexdigest(),
        },
        "event-data": {
            "event": event,
            "timestamp": 1795000000.0,
            "recipient": "vera@nordlicht.example",
            "severity": "permanent",
            "message": {"headers": {"message-id": message_id}},
        },
    }


@pytest.fixture
def sent_by_mailgun(cast, offer):
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    OutboundMessage.objects.filter(pk=offer.message_id).update(
        provider_message_id="<mg-42@mailgun.example>"
    )
    return offer


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET, "MAILGUN_API_KEY": ""})
def test_a_signing_provider_without_its_key_is_refused(client, sent_by_mailgun):
    """The defect: with no signing key anymail checked Mailgun's signature against
    the API key, here empty, so a bounce "signed" with an empty key was taken."""
    response = client.post(
        "/anymail/mailgun/tracking/",
        json.dumps(mailgun_event("mg-42@mailgun.example", key=b"")),
        content_type="application/json",
        **auth(),
    )
    assert response.status_code == 403
    assert b"set MAILGUN_WEBHOOK_SIGNING_KEY" in response.content
    sent_by_mailgun.refresh_from_db()
    assert sent_by_mailgun.delivery == "queued"


@override_settings(
    ANYMAIL={"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": "mg-signing"}
)
def test_a_signed_provider_event_counts_only_with_its_signature(
    client, sent_by_mailgun
):
    def post(key, nonce):
        return client.post(
            "/anymail/mailgun/tracking/",
            json.dumps(mailgun_event("mg-42@mailgun.example", key=key, nonce=nonce)),
            content_type="application/json",
            **auth(),
        )

    # the right basic auth but a wrong signature: 400, nothing changes
    assert post(b"guessed", "t1").status_code == 400
    sent_by_mailgun.refresh_from_db()
    assert sent_by_mailgun.delivery == "queued"
    # signed with the key: the bounce counts
    assert post(b"mg-signing", "t2").status_code == 200
    sent_by_mailgun.refresh_from_db()
    assert sent_by_mailgun.delivery == "bounced"


def test_the_deploy_check_names_a_missing_signing_key(settings):
    from core.checks import webhook_signing_check

    settings.OUTBOX_DELIVERY_BACKEND = "anymail.backends.resend.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    [error] = webhook_signing_check(None)
    assert error.id == "kam.E002" and "RESEND_SIGNING_SECRET" in error.msg
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "RESEND_SIGNING_SECRET": "whsec_x"}
    assert webhook_signing_check(None) == []
    settings.OUTBOX_DELIVERY_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert webhook_signing_check(None) == []  # Postmark signs nothing: basic auth
