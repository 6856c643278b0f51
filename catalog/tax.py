"""The tax rule: which VAT treatment a customer's documents get, decided from the
customer's country and VAT id against the seller's country (one place: offers price
their lines by it, invoices are issued by it, the PDFs print its note).

- the seller's own country, or no country known: the product's rate
  (EN 16931 category S, or Z where the rate is 0);
- another EU country, with a VAT id: reverse charge (category AE, tax 0, the
  legal note), the customer accounts for the VAT;
- another EU country, without a VAT id (a consumer or a body without one): as at
  home (S); one-stop-shop rates of the customer's country are not applied;
- outside the EU: export (category G, tax 0, the note).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# the member states by the codes VAT ids start with (Greece: EL, ISO: GR)
EU = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR",
    "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})  # fmt: skip
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Treatment:
    category: str  # "S" (rate of the line), "AE" or "G"
    note: str = ""  # printed on the document
    exemption_code: str = ""  # EN 16931 BT-121 (VATEX)
    exemption_reason: str = ""  # BT-120

    @property
    def is_exempt(self) -> bool:
        return self.category != "S"


DOMESTIC = Treatment("S")
REVERSE_CHARGE = Treatment(
    "AE",
    note=_(
        "Reverse charge: the recipient of the service is liable for VAT "
        "(Article 196 of Council Directive 2006/112/EC)."
    ),
    exemption_code="VATEX-EU-AE",
    exemption_reason=pgettext_lazy("e-invoice", "Reverse charge"),
)
EXPORT = Treatment(
    "G",
    note=_("Export outside the EU: not subject to German VAT."),
    exemption_code="VATEX-EU-G",
    exemption_reason=pgettext_lazy("e-invoice", "Export outside the EU"),
)


def _country(value: str) -> str:
    code = (value or "").strip().upper()
    return "GR" if code == "EL" else code


def treatment(country: str, vat_id: str, seller_country: str) -> Treatment:
    """The VAT treatment of a customer in `country` with `vat_id` (blank: none)."""
    country, home = _country(country), _country(seller_country)
    if not country or country == home:
        return DOMESTIC
    if country in EU:
        return REVERSE_CHARGE if (vat_id or "").strip() else DOMESTIC
    return EXPORT


def home_country() -> str:
    """The seller's country: the seller profile's, else $KAM_HOME_COUNTRY."""
    from django.conf import settings

    from core.models import SellerProfile

    profile = SellerProfile.current()
    return profile.country if profile else settings.KAM_HOME_COUNTRY


def treatment_of(account, seller_country: str | None = None) -> Treatment:
    """The treatment of an account (the seller's country: home_country())."""
    if seller_country is None:
        seller_country = home_country()
    return treatment(account.country, account.vat_id, seller_country)


def line_rate(rate: Decimal, how: Treatment) -> Decimal:
    """The tax rate a line gets: the product's at home, 0 where exempt."""
    return ZERO if how.is_exempt else rate


def line_category(rate: Decimal, how: Treatment) -> str:
    """EN 16931's VAT category of a line at `rate` under `how`."""
    if how.is_exempt:
        return how.category
    return "S" if rate else "Z"


NOTES = {str(t.note): t.note for t in (REVERSE_CHARGE, EXPORT)}


def note_of(recorded: str) -> str:
    """A note as recorded on an invoice (in English), in the current language."""
    return str(NOTES.get(recorded, recorded))
