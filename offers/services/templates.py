"""The offer email templates and the values their placeholders take."""

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.dates import show_date
from core.exceptions import ApplicationError
from core.links import absolute_url
from offers import placeholders
from offers.models import Offer, OfferTemplate
from offers.services.tokens import acceptance_token


def placeholder_values(offer: Offer) -> dict:
    kam = offer.account.owner
    with translation.override(offer.language):  # dates as the customer reads them
        valid_until, start_date = (
            show_date(offer.valid_until),
            show_date(offer.start_on),
        )
    return {
        "customer_name": offer.account.legal_name or offer.account.name,
        "contact_name": str(offer.contact),
        "offer_number": offer.label,
        "offer_title": offer.title,
        "valid_until": valid_until,
        "kam_name": str(kam),
        "kam_email": kam.email,
        "kam_phone": kam.phone,
        "acceptance_link": absolute_url(
            reverse("acceptance:accept", args=[acceptance_token(offer)])
        ),
        "start_date": start_date,
        "duration_months": str(offer.duration_months),
    }


def offer_template(kind: str, language: str) -> OfferTemplate:
    template = OfferTemplate.objects.filter(kind=kind, language=language).first()
    if template is None:
        template = OfferTemplate.objects.filter(kind=kind, language="en").first()
    if template is None:
        raise ApplicationError(_("No %(kind)s template exists yet.") % {"kind": kind})
    return template


@transaction.atomic
def offer_template_save(
    *, template: OfferTemplate, subject: str, body: str, closing: str = ""
) -> OfferTemplate:
    """Save a template after checking its placeholders."""
    errors = [
        e
        for text in (subject, body, closing)
        for e in placeholders.template_errors(text)
    ]
    if errors:
        raise ApplicationError(" ".join(errors))
    template.subject, template.body, template.closing = subject, body, closing
    template.save(update_fields=["subject", "body", "closing", "updated_at"])
    return template
