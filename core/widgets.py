"""Form widgets."""

from django import forms
from django.utils.safestring import SafeString

from core.jinja2 import render_partial


class LongSelect(forms.Select):
    """A flat select for long lists (the 200 people a task can be assigned to).

    Django builds a context dict per option and renders each through a template:
    8 ms for 200 options, 12 ms of the account 360's 67. This one hands the
    choices to one Jinja2 template (`jinja2/core/_select.html`): the same markup,
    no option groups.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        return render_partial("core/_select.html", {
            "attrs": final,
            "choices": [(str(k), label) for k, label in self.choices],
            "chosen": {str(v) for v in self.format_value(value)},
        })  # fmt: skip


def options_html(choices, chosen=frozenset()) -> SafeString:
    """`<option>`s for (value, label) pairs (`jinja2/core/_options.html`); those in
    `chosen` (strings) selected. For long pickers a page repeats, built once per
    request."""
    return render_partial("core/_options.html", {
        "choices": [(str(k), label) for k, label in choices], "chosen": chosen,
    })  # fmt: skip
