"""The Jinja2 environment of the page templates (core.jinja2)."""

from datetime import date
from decimal import Decimal

import pytest
from django import forms
from django.template import engines
from django.test import RequestFactory
from django.utils import translation


def render(source: str, request=None, **context) -> str:
    return engines["jinja2"].from_string(source).render(context, request=request)


def test_urls_static_and_escaping():
    assert render("{{ url('core:floor') }}") == "/floor/"
    assert render("{{ url('accounts:detail', 7) }}") == "/accounts/7/"
    assert render("{{ static('js/charts.js') }}").endswith(".js")
    assert render("{{ v }}", v="<b>&") == "&lt;b&gt;&amp;"


def test_messages_and_formats_in_the_active_language():
    source = ("{{ _('never') }}|{{ n|floatformat('0g') }}|{{ d|show_date }}|"
              "{{ ngettext('%(n)s overdue', '%(n)s overdue', 2, n=2) }}")  # fmt: skip
    values = {"n": Decimal("1234567.4"), "d": date(2027, 10, 2)}
    with translation.override("en"):
        assert render(source, **values) == "never|1,234,567|2 Oct 2027|2 overdue"
    with translation.override("de"):
        assert render(source, **values) == "nie|1.234.567|02.10.2027|2 überfällig"


def test_forms_through_crispy_and_the_csrf_input():
    class Form(forms.Form):
        name = forms.CharField(label="Name")

    request = RequestFactory().get("/")
    html = render("<form>{{ csrf_input }}{{ crispy(form) }}</form>", request,
                  form=Form())  # fmt: skip
    assert 'name="csrfmiddlewaretoken"' in html
    assert html.count("<form") == 1  # the fields only, as the crispy filter gives
    assert "form-control" in html and 'for="id_name"' in html


@pytest.mark.parametrize("day", ["today", "yesterday"])
def test_natural_day(day):
    from datetime import timedelta

    from django.utils import timezone

    moment = timezone.now() - timedelta(days=0 if day == "today" else 1)
    assert render("{{ m|naturalday }}", m=moment) == day
