"""Tags of the PDF documents (Django templates under templates/pdf/)."""

from django import template

register = template.Library()


@register.simple_tag
def current_seller():
    """The seller profile (core.models.SellerProfile) or None: the letterhead and
    legal footer of an offer's, a contract's or a plan's document. An invoice
    prints the seller as it was when issued instead (Invoice.parties)."""
    from core.models import SellerProfile

    return SellerProfile.current()


@register.simple_tag
def tax_note_of(account) -> str:
    """The tax rule's note for the account (reverse charge, export), in the
    document's language; empty at home (catalog.tax)."""
    from catalog import tax

    return str(tax.treatment_of(account).note)
