"""The offer's PDF: options side by side, rendered outside any row lock."""

from django.template.loader import render_to_string
from django.utils import translation

from core.pdf import html_to_pdf
from offers import placeholders
from offers.models import Offer, OfferTemplate
from offers.services.approval import offer_with_lines
from offers.services.templates import offer_template, placeholder_values


def comparison_rows(options) -> list[tuple[str, list]]:
    """Options side by side: one row per item, one cell per option (None: not in it).

    Items are matched by their description, in the order they first appear; an item
    listed twice in one option gets a second row.
    """
    rows: list[tuple[str, list]] = []
    index: dict[tuple[str, int], int] = {}
    for column, option in enumerate(options):
        seen: dict[str, int] = {}
        for line in option.lines.all():
            occurrence = seen.get(line.description, 0)
            seen[line.description] = occurrence + 1
            key = (line.description, occurrence)
            if key not in index:
                index[key] = len(rows)
                rows.append((line.description, [None] * len(options)))
            rows[index[key]][1][column] = line
    return rows


def offer_pdf(offer: Offer, *, loaded: bool = False) -> bytes:
    """Render the offer document (options side by side, terms, page numbers).
    `loaded`: the offer comes from `offer_with_lines` already (not loaded again)."""
    if not loaded:
        offer = offer_with_lines(offer)
    template = offer_template(OfferTemplate.Kind.DOCUMENT, offer.language)
    values = placeholder_values(offer)
    options = [(o, o.totals()) for o in offer.options.all()]
    rows = comparison_rows([o for o, _t in options])
    with translation.override(offer.language):
        html = render_to_string(
            "pdf/offers/offer.html",
            {
                "offer": offer,
                "options": options,
                "rows": rows,
                "heading": placeholders.render_text(template.subject, values),
                "intro": placeholders.render_html(template.body, values),
                "closing": placeholders.render_html(template.closing, values),
                "values": values,
            },
        )
    return html_to_pdf(html)
