"""Dates read the same to everyone: 2 Oct 2027 in English (never 10/02/2027), the
German form in German; on pages, in emails and in PDFs alike."""

import re
from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from core.dates import show_date, show_datetime
from tests.clock import upcoming
from tests.contracts.helpers import contract_with

US_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")


@pytest.mark.parametrize(
    ("language", "short", "moment"),
    [
        ("en", "2 Oct 2027", "2 Oct 2027, 14:05"),
        ("de", "02.10.2027", "02.10.2027 14:05"),
    ],
)
def test_dates_in_each_language(language, short, moment):
    with translation.override(language):
        assert show_date(date(2027, 10, 2)) == short
        at = timezone.make_aware(datetime(2027, 10, 2, 14, 5))
        assert show_datetime(at) == moment
        rendered = Template('{{ d|date:"SHORT_DATE_FORMAT" }}').render(
            Context({"d": date(2027, 10, 2)})
        )
        assert rendered == short


def test_english_forms_do_not_take_a_us_date():
    from django import forms

    field = forms.DateField()
    with translation.override("en"):
        assert field.clean("2027-10-02") == date(2027, 10, 2)
        assert field.clean("2 Oct 2027") == date(2027, 10, 2)
        with pytest.raises(forms.ValidationError):
            field.clean("10/02/2027")  # 2 October or 10 February?


@pytest.mark.django_db
@pytest.mark.pdf
def test_contract_page_and_pdf_show_unambiguous_dates(cast, client):
    start = upcoming(10, 2)
    contract = contract_with(
        cast.kam, cast.cs, start_on=start, lines=[("SEAT", "monthly", "100", 1, 0)]
    )
    client.force_login(cast.kam)
    url = reverse("contracts:detail", args=[contract.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"2 Oct {start.year}" in english
    assert not US_DATE.search(english), US_DATE.search(english).group()
    german = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f"02.10.{start.year}" in german
    assert not US_DATE.search(german)
    from contracts.services import documents as contract_documents
    from tests.core.test_pdf import pdf_text

    text = pdf_text(contract_documents.contract_pdf(contract))
    assert contract.language == "en"
    assert f"2 Oct {start.year}" in text
    assert str(start) not in text  # no ISO beside the others
