"""The Jinja2 environment of the page templates (Django's built-in Jinja2 backend).

Django templates resolve every variable through several lookups and run each filter
through its machinery; for a table of 60 rows × 9 cells that was 38–50 ms of a page.
Jinja2 compiles a template to Python once, so rows, selects and matrix cells stay in
templates that a designer can edit, at the speed of hand-written code. Templates
live in `templates/jinja2/` (and an app's `jinja2/`); Django templates remain where a
library needs them (the admin, crispy-forms' packs, django-filter's widgets).

What a template has besides its context:
- `url(name, *args, **kwargs)`, `static(path)` and `crispy(form)` (crispy-forms'
  Bootstrap 5 pack, a Django template: the library's own);
- `_()`, `gettext()`, `ngettext()` and `{% trans %}` in the active language;
- `csrf_input` and `csrf_token` (the backend adds them when there is a request);
- filters: `floatformat`, `localize`, `naturalday`, `show_date`, `date_format`,
  `localtime`.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.template import engines
from django.template.defaultfilters import floatformat
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment

from core.dates import natural_day, show_date


def render_partial(name: str, context: dict, request=None) -> SafeString:
    """A Jinja2 template (under jinja2/) as safe HTML for a Django template or a
    widget: every value is escaped by Jinja2's autoescape."""
    html = engines["jinja2"].get_template(name).render(context, request=request)
    return mark_safe(html)  # noqa: S308


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def environment(**options) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 (the backend turns autoescape on)
    env.install_gettext_translations(translation, newstyle=True)
    env.globals.update(url=url, static=static, crispy=as_crispy_form)
    env.filters.update(
        floatformat=floatformat,
        localize=formats.localize,
        naturalday=natural_day,
        show_date=show_date,
        date_format=formats.date_format,
        localtime=timezone.localtime,
    )
    return env
