"""Every date a person enters lies between 1990 and 2100 (core.dates), in every
form as in the API: a typed year 0092 gets a clear message, not a stored typo."""

import importlib
import inspect

import pytest
from django import forms

from core.forms import DatesInRange

FORM_MODULES = ["accounts.forms", "contracts.forms", "insights.forms", "offers.forms",
                "planning.forms"]  # fmt: skip


def _forms():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _n, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                yield cls


def test_every_form_with_a_date_checks_its_range():
    dated = [
        cls
        for cls in _forms()
        if any(
            isinstance(f, forms.DateField | forms.DateTimeField)
            for f in cls.base_fields.values()
        )
    ]
    assert len(dated) >= 8  # tasks, touchpoints, offers, notice, NPS, plans, …
    assert [c.__name__ for c in dated if not issubclass(c, DatesInRange)] == []


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0092-07-03T18:40", "9999-01-01T10:00"])
def test_a_task_due_in_a_typo_year_is_refused(cast, value):
    from accounts.forms import TaskForm

    form = TaskForm(
        {"title": "Call", "due_at": value, "assignee": cast.kam.pk}, user=cast.kam
    )
    assert not form.is_valid()
    assert form.errors["due_at"] == ["Enter a date between 1 Jan 1990 and 31 Dec 2100."]


def test_the_notice_date_is_checked_too():
    from contracts.forms import NoticeForm

    form = NoticeForm({"received_on": "1200-01-01", "reason": "x"})
    assert not form.is_valid() and "received_on" in form.errors
