"""The bridge while pages move to Jinja2 (core.jinja2): a Django template renders
a Jinja2 partial where a loop of many cells would be slow in Django's engine.

    {% load jinja %}{% jinja "insights/_whitespace_rows.html" matrix=matrix %}
"""

from django import template

from core.jinja2 import render_partial

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, name: str, **values):
    """`name` (under jinja2/) rendered with `values`, and the request's CSRF input."""
    return render_partial(name, values, request=context.get("request"))
