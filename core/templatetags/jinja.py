"""A Django template (a PDF document) renders a Jinja2 partial (core.jinja2): the
price figures and the SWOT exist once, for the pages and the documents alike.

    {% load jinja %}{% jinja "includes/price_figures.html" figures=f currency=c %}
"""

from django import template

from core.jinja2 import render_partial

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, name: str, **values):
    """`name` (under jinja2/) rendered with `values`, and the request's CSRF input."""
    return render_partial(name, values, request=context.get("request"))
