"""Names typed by users travel into e-mails and PDFs: HTML in them stays text, and
placeholder or template syntax in them is never filled in or run."""

import pytest

from core.models import OutboundMessage
from tests.contracts.helpers import contract_by_flow
from tests.core.test_pdf import pdf_text
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

NAME = "<b>Evil</b> & Co {{ kam_email }} {% debug %}"
SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=https://tracker.example/x.png>"


@pytest.mark.pdf
def test_names_stay_text_in_emails_and_pdfs(cast, django_capture_on_commit_callbacks):
    # given: an account, contact and offer whose names carry markup and placeholders
    account = AccountFactory(
        owner=cast.kam, name=NAME, legal_name=NAME + " " + SCRIPT, street=IMG,
        postal_code="20457", city="Hamburg", country="DE",
    )  # fmt: skip
    contact = ContactFactory(
        account=account,
        first_name=SCRIPT,
        last_name=NAME,
        email="buyer@customer.example",
    )
    # when: the offer is sent, accepted, the contract sent, signed and finalized
    with django_capture_on_commit_callbacks(execute=True):
        contract_by_flow(
            cast.kam, account=account, contact=contact, finalize_by=cast.cs
        )
    messages = list(OutboundMessage.objects.prefetch_related("attachments"))
    # then: every e-mail shows the names as text, never as markup or filled placeholders
    assert len(messages) >= 3, [m.subject for m in messages]
    pdfs, named_mails, named_pdfs = 0, 0, 0
    for message in messages:
        assert "<script" not in message.body_html.lower(), message.subject
        assert "<b>Evil</b>" not in message.body_html
        assert "tracker.example" not in message.body_html.replace("&lt;img", "")
        assert cast.kam.email not in message.subject
        if "Evil" in message.body_text:
            named_mails += 1
            assert "{{ kam_email }}" in message.body_text  # literally, not filled in
        for attachment in message.attachments.all():
            if attachment.mimetype != "application/pdf":
                continue
            with attachment.file.open("rb") as handle:
                text = pdf_text(handle.read())
            pdfs += 1
            if "Evil" in text:
                named_pdfs += 1
                flat = " ".join(text.split())
                assert "<b>Evil</b> & Co {{ kam_email }} {% debug %}" in flat
                if "Hafenstr" in flat or "tracker" in flat:  # the address, as typed
                    assert "<img src=https://tracker.example/x.png>" in flat
    assert pdfs >= 2
    assert named_mails >= 1 and named_pdfs >= 2, (named_mails, named_pdfs)
    # the customer's e-mails greet the contact by the name as typed, in plain text
    greeting = f"Dear {SCRIPT} {NAME},"
    assert sum(greeting in m.body_text for m in messages) >= 3
