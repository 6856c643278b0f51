"""Checks on account data that need more than a field type."""

from django.utils.translation import gettext as _
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as StdnumError

# The member states of the European Union (ISO 3166 codes): the tax rule's
from catalog.tax import EU as EU_COUNTRIES

# Countries whose VAT numbers carry the country prefix (EU style, plus GB); Greece
# writes EL instead of GR, see GREECE_PREFIX.
PREFIXED = (EU_COUNTRIES - {"GR"}) | {"GB"}
GREECE_PREFIX = "EL"


def vat_error(vat_id: str, country: str) -> str | None:
    """Return why `vat_id` is not a valid VAT id for `country`, or None if it is."""
    vat_id = "".join((vat_id or "").split()).upper()
    country = (country or "").upper()
    if not vat_id:
        return None
    if not country:
        return _("Choose the country before entering a VAT id.")
    prefix = GREECE_PREFIX if country == "GR" else country
    if (country in PREFIXED or country == "GR") and not vat_id.startswith(prefix):
        return _("A VAT id from %(country)s starts with “%(prefix)s”.") % {
            "country": country,
            "prefix": prefix,
        }
    module = get_cc_module(country.lower(), "vat")
    if module is None:
        return None  # no rule known for this country: accept as entered
    try:
        module.validate(vat_id)
    except StdnumError:
        return _("“%(vat)s” is not a valid VAT id for %(country)s.") % {
            "vat": vat_id,
            "country": country,
        }
    return None


def normalize_vat(vat_id: str) -> str:
    return "".join((vat_id or "").split()).upper()
