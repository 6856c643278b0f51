import re

from django import forms

from core.widgets import LongSelect

CHOICES = [("", "---------"), (1, "Vera <b>Meier</b>"), (2, "Jan & Co"), (3, "Ada")]


def _options(html: str) -> list[tuple[str, bool, str]]:
    found = re.findall(r'<option value="([^"]*)"(\s+selected)?>([^<]*)</option>', html)
    return [(value, bool(selected), label) for value, selected, label in found]


def test_long_select_renders_what_djangos_select_renders():
    class Form(forms.Form):
        slow = forms.ChoiceField(choices=CHOICES)
        fast = forms.ChoiceField(choices=CHOICES, widget=LongSelect)

    form = Form(initial={"slow": 2, "fast": 2})
    slow, fast = str(form["slow"]), str(form["fast"])
    assert _options(fast) == _options(slow)
    assert ("2", True, "Jan &amp; Co") in _options(fast)
    assert "Vera &lt;b&gt;Meier&lt;/b&gt;" in fast  # labels are escaped
    assert 'name="fast"' in fast and 'id="id_fast"' in fast and "required" in fast
    assert sum(selected for _v, selected, _l in _options(fast)) == 1
