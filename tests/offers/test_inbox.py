"""Inbound mail that answers none of our e-mails: kept once, reviewed by its KAM,
put on the timeline or dismissed by them only."""

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import TimelineEntry
from core.exceptions import ApplicationError
from core.models import Notification
from offers.models import InboundMail
from offers.services import sending as offer_sending
from offers.services import tracking as offer_tracking
from tests.factories import AccountFactory, ContactFactory
from tests.offers.test_webhooks import SECRET, auth, inbound_payload

pytestmark = pytest.mark.django_db


def named_mail(offer, **extra):
    return offer_tracking.inbound_reply_apply(
        from_email="someone@elsewhere.example",
        subject=f"Re: {offer.label} — we cancel",
        text="Please cancel everything.",
        **extra,
    )


def test_a_mail_naming_an_offer_waits_for_its_kam(client, cast, offer):
    # given: a mail that names the offer but answers none of our e-mails
    mail = named_mail(offer, message_id="<in-1@elsewhere.example>")
    # then: it waits for review, off the timeline, and the KAM is told
    assert (mail.status, mail.account, mail.offer) == (
        "to_review",
        offer.account,
        offer,
    )
    assert not TimelineEntry.objects.filter(kind="email").exists()
    note = Notification.objects.get(user=cast.kam)
    assert note.url == reverse("offers:inbox") + f"#mail-{mail.pk}"
    # the KAM sees it in the list, with its text
    client.force_login(cast.kam)
    page = client.get(reverse("offers:inbox")).content.decode()
    assert "Please cancel everything." in page and offer.label in page
    assert 'data-testid="inbound-mail"' in page


def test_the_provider_sending_it_again_keeps_one(cast, offer):
    first = named_mail(offer, message_id="<in-1@elsewhere.example>")
    again = named_mail(offer, message_id="<in-1@elsewhere.example>")
    assert first is not None and again is None
    assert InboundMail.objects.count() == 1
    assert Notification.objects.filter(user=cast.kam).count() == 1


def test_a_reply_to_our_mail_sent_again_goes_on_the_timeline_once(cast, offer):
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    offer.refresh_from_db()
    for _ in range(2):
        offer_tracking.inbound_reply_apply(
            from_email="vera@nordlicht.example",
            subject="Re: your offer",
            text="We take Premium.",
            in_reply_to=offer.message.rfc_message_id,
            message_id="<reply-1@nordlicht.example>",
        )
    assert TimelineEntry.objects.filter(title__startswith="Reply from").count() == 1
    assert InboundMail.objects.get().status == "on_timeline"


def test_a_mail_from_a_known_contact_goes_to_that_account(cast):
    account = AccountFactory(owner=cast.kam2)
    ContactFactory(account=account, email="buyer@known.example")
    mail = offer_tracking.inbound_reply_apply(
        from_email="Buyer@Known.example", subject="Question", text="Hello"
    )
    assert mail.account == account and mail.offer is None
    assert Notification.objects.filter(user=cast.kam2).count() == 1


def test_a_mail_of_no_account_is_seen_only_by_those_who_see_everything(client, cast):
    mail = offer_tracking.inbound_reply_apply(
        from_email="stranger@nowhere.example", subject="Hi", text="Spam"
    )
    assert mail.account is None and not Notification.objects.exists()
    for user, seen in [(cast.kam, False), (cast.manager, False), (cast.admin, True)]:
        client.force_login(user)
        assert ("Spam" in client.get(reverse("offers:inbox")).content.decode()) is seen
    # it can only be dismissed: there is no timeline to put it on
    with pytest.raises(ApplicationError, match="no account"):
        offer_tracking.inbound_mail_decide(mail=mail, actor=cast.admin, keep=True)
    mail.refresh_from_db()
    assert mail.status == "to_review"


def test_putting_a_mail_on_the_timeline(client, cast, offer):
    mail = named_mail(offer)
    client.force_login(cast.kam)
    response = client.post(
        reverse("offers:inbox-decide", args=[mail.pk]), {"decision": "keep"}
    )
    assert response.status_code == 302
    mail.refresh_from_db()
    assert (mail.status, mail.decided_by) == ("on_timeline", cast.kam)
    entry = TimelineEntry.objects.get(account=offer.account, kind="email")
    assert entry.actor == cast.kam and "Please cancel everything." in entry.summary
    assert "someone@elsewhere.example" in entry.shown_title
    # twice changes nothing twice; dismissing it now is refused
    client.post(reverse("offers:inbox-decide", args=[mail.pk]), {"decision": "keep"})
    assert TimelineEntry.objects.filter(kind="email").count() == 1
    with pytest.raises(ApplicationError, match="cannot become Dismissed"):
        offer_tracking.inbound_mail_decide(mail=mail, actor=cast.kam, keep=False)


def test_dismissing_a_mail(client, cast, offer):
    mail = named_mail(offer)
    client.force_login(cast.kam)
    client.post(reverse("offers:inbox-decide", args=[mail.pk]), {"decision": "dismiss"})
    mail.refresh_from_db()
    assert mail.status == "dismissed"
    assert not TimelineEntry.objects.filter(kind="email").exists()
    page = client.get(reverse("offers:inbox") + "?status=dismissed").content.decode()
    assert "Please cancel everything." in page


@pytest.mark.parametrize("decision", ["", "publish", "KEEP"])
def test_a_bad_decision_changes_nothing(client, cast, offer, decision):
    mail = named_mail(offer)
    client.force_login(cast.kam)
    response = client.post(
        reverse("offers:inbox-decide", args=[mail.pk]), {"decision": decision},
        follow=True,
    )  # fmt: skip
    assert "Choose whether to keep the mail or dismiss it." in response.content.decode()
    mail.refresh_from_db()
    assert mail.status == "to_review"


@pytest.mark.parametrize(
    ("who", "status"),
    [("kam3", 404), ("manager2", 404), ("cs", 403), ("kam2", 404), ("manager", 302)],
)
def test_only_who_may_change_the_account_decides(client, cast, offer, who, status):
    mail = named_mail(offer)
    client.force_login(getattr(cast, who))
    assert "Please cancel everything." not in client.get(
        reverse("offers:inbox")
    ).content.decode() or who in ("cs", "manager")
    response = client.post(
        reverse("offers:inbox-decide", args=[mail.pk]), {"decision": "keep"}
    )
    assert response.status_code == status
    mail.refresh_from_db()
    assert mail.status == ("on_timeline" if status == 302 else "to_review")


def test_the_inbox_page_has_a_constant_number_of_queries(
    client, cast, offer, django_assert_num_queries
):
    client.force_login(cast.kam)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("offers:inbox")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        named_mail(offer)
    few = count()
    for _ in range(15):
        named_mail(offer)
    assert count() == few


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_the_webhook_keeps_the_message_id(client, cast, offer):
    payload = inbound_payload(subject=f"Re: {offer.label}")
    payload["Headers"] = [{"Name": "Message-ID", "Value": "<forged-1@x.example>"}]
    for _ in range(2):
        response = client.post(
            "/anymail/postmark/inbound/", json.dumps(payload),
            content_type="application/json", **auth(),
        )  # fmt: skip
        assert response.status_code == 200
    assert InboundMail.objects.get().message_id == "<forged-1@x.example>"


def test_markup_in_a_mail_stays_text(client, cast, offer):
    offer_tracking.inbound_reply_apply(
        from_email='"<img src=x onerror=alert(1)>"@evil.example',
        subject=f"Re: {offer.label} <script>alert(1)</script>",
        text="<b>bold</b> <a href='https://phish.example'>pay here</a>",
    )
    client.force_login(cast.kam)
    page = client.get(reverse("offers:inbox")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<a href='https://phish.example'>" not in page
    assert "<img src=x" not in page
