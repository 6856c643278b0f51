"""The Jinja2 environment of the page templates (Django's built-in Jinja2 backend).

Django templates resolve every variable through several lookups and run each filter
through its machinery; for a table of 60 rows × 9 cells that was 38–50 ms of a page.
Jinja2 compiles a template to Python once, so rows, selects and matrix cells stay in
templates that a designer can edit, at the speed of hand-written code. Every page
template lives in `templates/jinja2/` (and an app's `jinja2/`); Django templates
remain for what a library renders (the admin, crispy-forms' packs, django-filter's
widgets), the PDF documents and the e-mails.

What a template has besides its context:
- `url(name, *args, **kwargs)`, `static(path)` and `crispy(form)` (crispy-forms'
  Bootstrap 5 pack, a Django template: the library's own);
- `_()`, `gettext()`, `ngettext()` and `{% trans %}` in the active language;
- `csrf_input` and `csrf_token` (the backend adds them when there is a request);
- `get_language()`, `LANGUAGES` and `query_without(request, *names)`;
- the context processors' `user`, `messages`, `nav_items` and
  `unread_notifications` on pages (not in `render_partial`);
- filters: `date` (Django's, in the current time zone), `floatformat`,
  `localize`, `naturalday`, `naturaltime`, `show_date`, `date_format`,
  `localtime`, `filesizeformat`, `linebreaksbr`, `truncatechars`, `json_script`,
  and Django's `add`, `capfirst`, `default_if_none`, `dslice` (its `slice`),
  `intcomma`, `stringformat`, and crispy's `as_crispy_field` (a form: `crispy()`).
"""

from datetime import datetime
from functools import lru_cache

from crispy_forms.templatetags.crispy_forms_filters import (
    as_crispy_field,
    as_crispy_form,
)
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters, engines
from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
from django.template.defaultfilters import (
    filesizeformat,
    floatformat,
    linebreaksbr,
    truncatechars,
)
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe
from jinja2 import ChainableUndefined, Environment, Undefined

from core.dates import natural_day, show_date


def render_partial(name: str, context: dict, request=None) -> SafeString:
    """A Jinja2 template (under jinja2/) as safe HTML for a Django template or a
    widget: every value is escaped by Jinja2's autoescape. The request and its
    CSRF input are there, the context processors' values are not (a partial is
    given what it shows: no navigation, no unread count queried for it)."""
    if request is not None:  # as the backend adds them, lazily
        context = {
            **context,
            "request": request,
            "csrf_input": csrf_input_lazy(request),
            "csrf_token": csrf_token_lazy(request),
        }
    html = engines["jinja2"].get_template(name).render(context)
    return mark_safe(html)  # noqa: S308


def query_without(request, *names: str) -> str:
    """The request's query string without the parameters `names` (every value of
    the others kept: tier=A&tier=B stays so)."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def date(value, fmt: str = "DATE_FORMAT") -> str:
    """Django's `date` filter: a moment in the current time zone, in `fmt`
    (a format name such as SHORT_DATE_FORMAT, or a format string)."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, fmt)


def _in_language(function: str):
    """Django's translation `function`, its answers kept per process and language."""

    def translated(*args):
        return _translated(translation.get_language(), function, *args)

    return staticmethod(translated)


class Translations:
    """Django's translations for Jinja2's i18n, each message looked up once per
    process and language: Django looks a message up in every catalogue with its
    own plural rule (14 here), and a page asks for a few hundred messages."""

    gettext = _in_language("gettext")
    ngettext = _in_language("ngettext")
    pgettext = _in_language("pgettext")
    npgettext = _in_language("npgettext")


# the active language is part of each key: a message is asked for in it
@lru_cache(maxsize=8192)
def _translated(language: str, function: str, *args) -> str:
    return getattr(translation, function)(*args)


@receiver(setting_changed)
def _catalogues_changed(*, setting, **kwargs) -> None:
    """Django reloads its catalogues when these change (tests): so do we."""
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _translated.cache_clear()


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def printable(value):
    """Every `{{ … }}` passes here (the environment's `finalize`). Django templates
    call a method they print; Jinja2 prints the method itself. A template that
    forgot the brackets fails loudly instead of showing "<bound method …>"."""
    if callable(value) and not isinstance(value, str | Undefined):
        raise TypeError(f"a template printed {value!r} without calling it")
    return value


def environment(**options) -> Environment:
    options.setdefault("finalize", printable)
    # as in Django templates, `a.b.c` of a missing `a` prints nothing
    options["undefined"] = ChainableUndefined
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 (the backend turns autoescape on)
    env.install_gettext_translations(Translations, newstyle=True)
    env.globals.update(
        url=url,
        static=static,
        crispy=as_crispy_form,
        get_language=translation.get_language,
        query_without=query_without,
        LANGUAGES=settings.LANGUAGES,
    )
    env.filters.update(
        # Django's filters of the same names (a page moved from a Django template
        # keeps its output)
        add=defaultfilters.add,
        capfirst=defaultfilters.capfirst,
        default_if_none=defaultfilters.default_if_none,
        dslice=defaultfilters.slice_filter,  # Jinja2's own `slice` groups a list
        intcomma=intcomma,
        stringformat=defaultfilters.stringformat,
        as_crispy_field=as_crispy_field,
        date=date,
        json_script=json_script,
        naturaltime=naturaltime,
        filesizeformat=filesizeformat,
        linebreaksbr=linebreaksbr,
        truncatechars=truncatechars,
        floatformat=floatformat,
        localize=formats.localize,
        naturalday=natural_day,
        show_date=show_date,
        date_format=formats.date_format,
        localtime=timezone.localtime,
    )
    return env
