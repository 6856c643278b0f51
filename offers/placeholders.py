"""Safe placeholders for administrator-edited texts: {{ name }} and nothing else."""

import re

from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
ALLOWED = {
    "customer_name": "Nordlicht Media GmbH",
    "contact_name": "Vera Meier",
    "offer_number": "OF-2026-00042",
    "offer_title": "Digital archive for research",
    "valid_until": "2026-12-31",
    "kam_name": "Katrin Albers",
    "kam_email": "katrin.albers@example.com",
    "kam_phone": "+49 40 1234567",
    "acceptance_link": "https://kam.example.com/o/accept/…",
    "start_date": "2027-01-01",
    "duration_months": "12",
}


def template_errors(text: str) -> list[str]:
    """Return what is wrong with a template text (unknown or malformed placeholders)."""
    errors = []
    unknown = sorted({m for m in PLACEHOLDER.findall(text) if m not in ALLOWED})
    if unknown:
        errors.append(
            _("Unknown placeholders: %(names)s. Allowed: %(allowed)s")
            % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(ALLOWED))}
        )
    rest = PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest or "{%" in rest or "%}" in rest:
        errors.append(_("Only {{ placeholder }} is allowed; no other template code."))
    return errors


def render_text(text: str, values: dict) -> str:
    """Fill placeholders into a plain-text template."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), text)


def render_html(text: str, values: dict) -> str:
    """Fill placeholders into HTML paragraphs; text and values are escaped."""
    parts = []
    last = 0
    for match in PLACEHOLDER.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(escape(str(values.get(match.group(1), ""))))
        last = match.end()
    parts.append(escape(text[last:]))
    # every piece was escaped above, so the result is safe HTML
    return mark_safe(linebreaks("".join(parts), autoescape=False))  # noqa: S308
