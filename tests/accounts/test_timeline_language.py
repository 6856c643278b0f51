"""Timeline entries are translated when shown, not when written: what an English
speaker (or the nightly job) records, a German reader reads in German."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import TimelineEntry
from accounts.services import todos
from core.i18n import Later, render
from tests.clock import upcoming
from tests.contracts.helpers import contract_with
from tests.renewals.conftest import run_on

pytestmark = pytest.mark.django_db


def timeline_html(client, account, language):
    """Every page of the account's timeline."""
    url = reverse("accounts:timeline", args=[account.pk])
    pages = -(-TimelineEntry.objects.filter(account=account).count() // 15)
    return "".join(
        client.get(url, {"page": n}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        for n in range(1, pages + 1)
    )


def test_entries_written_in_english_read_in_german(cast, client):
    # given: an English-speaking KAM's task, a contract signed through the link and
    # finalized (invoice issued), and the nightly job renewing it
    start = upcoming(3, 1)
    with translation.override("en"):
        contract = contract_with(
            cast.kam, cast.cs, start_on=start, lines=[("S", "yearly", "100", 1, 0)]
        )
        account = contract.account
        todos.task_create(
            title="Call the CFO",
            due_at=timezone.now(),
            assignee=cast.kam,
            account=account,
            actor=cast.kam,
        )
    run_on(contract.end_on + timezone.timedelta(days=1))
    stored = list(TimelineEntry.objects.filter(account=account))
    assert {e.title for e in stored} >= {"Task: Call the CFO"}  # written in English
    client.force_login(cast.kam)
    german = timeline_html(client, account, "de")
    english = timeline_html(client, account, "en")
    # then: the German reader reads German, the English one English
    for de, en in [
        ("Aufgabe: Call the CFO", "Task: Call the CFO"),
        ("Unterschriftslink", "Signing link"),
        (f"Rechnung {contract.invoices.first().number} ausgestellt", "issued"),
        (f"Vertrag {contract.number} verlängert bis", "renewed until"),
    ]:
        assert de in german, de
        assert en in english, en
        assert en not in german, en
    # dates in each reader's form
    contract.refresh_from_db()  # renewed: its end is the new term's
    assert contract.end_on.strftime("%d.%m.%Y") in german
    assert f"{contract.end_on.day} {contract.end_on:%b %Y}" in english


def test_a_stored_message_survives_a_broken_translation_and_nests():
    message = Later(
        "Contract %(number)s ended (%(why)s)",
        number="CT-1",
        why=Later("Term of %(n)d months", n=12),
    )
    data = message.as_json()
    assert data == [
        "Contract %(number)s ended (%(why)s)",
        {"number": "CT-1", "why": {"later": ["Term of %(n)d months", {"n": 12}]}},
    ]
    assert render(data) == "Contract CT-1 ended (Term of 12 months)"


def test_status_history_comments_are_read_in_each_language(cast, client):
    with translation.override("en"):
        contract = contract_with(
            cast.kam,
            cast.cs,
            start_on=upcoming(3, 1),
            lines=[("S", "yearly", "100", 1, 0)],
        )
    assert contract.events.filter(comment="Signed through the link").exists()
    client.force_login(cast.kam)
    url = reverse("contracts:detail", args=[contract.pk])
    german = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Über den Link unterschrieben" in german
    assert "Signed through the link" not in german
    assert "Signed through the link" in english
    offer_url = reverse("offers:detail", args=[contract.offer_id])
    german = client.get(offer_url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Option: Standard" in german  # the accepted option, in the history


def test_many_messages_shown_at_once_translate_each_id_once(monkeypatch):
    """A night's timeline events: the same message id with different values is
    translated once (core.i18n.renderer), and reads as `render` would show it."""
    from django.db.models import TextChoices
    from django.utils.translation import gettext_lazy

    import core.i18n

    class Kind(TextChoices):
        INVOICE = "invoice", gettext_lazy("Invoice")

    messages = [
        Later("%(kind)s %(number)s issued: %(gross)s %(currency)s",
              kind=Kind.INVOICE.label, number=f"INV-2026-{n:05d}", gross="119.00",
              currency="EUR").as_json()
        for n in range(1, 51)
    ]  # fmt: skip
    real = core.i18n.gettext
    asked = []

    def counting(msgid):
        asked.append(msgid)
        return real(msgid)

    with translation.override("de"):
        one_by_one = [render(m) for m in messages]
        monkeypatch.setattr(core.i18n, "gettext", counting)
        show = core.i18n.renderer()
        at_once = [show(m) for m in messages]
    assert at_once == one_by_one
    assert at_once[0] == "Rechnung INV-2026-00001 ausgestellt: 119.00 EUR"
    assert sorted(asked) == sorted(
        ["%(kind)s %(number)s issued: %(gross)s %(currency)s", "Invoice"]
    )
