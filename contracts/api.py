"""Read-only API for contracts, subscriptions and invoices (access-filtered)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.serializers import SerializerMethodField

from accounts.models import EInvoiceFormat
from contracts import selectors
from contracts.models import Contract, ContractLine, Invoice, InvoiceLine, Subscription
from contracts.views import invoice_file_response
from core.drf import ModelSerializer


class ContractLineSerializer(ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    net = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = ContractLine
        fields = [
            "product_code",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "price_unit",
            "tax_rate",
            "net",
        ]


class ContractSerializer(ModelSerializer):
    lines = ContractLineSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "account",
            "contact",
            "offer",
            "title",
            "status",
            "currency",
            "start_on",
            "end_on",
            "duration_months",
            "billing_period",
            "auto_renew",
            "renewal_months",
            "notice_days",
            "cancel_by",
            "trial_days",
            "signed_at",
            "signed_via",
            "finalized_at",
            "lines",
            "created_at",
        ]
        read_only_fields = fields


class SubscriptionSerializer(ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "contract",
            "account",
            "product_code",
            "status",
            "quantity",
            "currency",
            "billing_period",
            "period_amount",
            "mrr",
            "start_on",
            "end_on",
            "trial_ends_on",
            "next_billing_on",
        ]
        read_only_fields = fields


class InvoiceLineSerializer(ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "description",
            "period_start",
            "period_end",
            "prorated_days",
            "period_days",
            "quantity",
            "net",
            "tax_rate",
            "subscription",
        ]


class InvoiceSerializer(ModelSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    pdf_url = SerializerMethodField(
        help_text="The invoice as a PDF (Factur-X: with its EN 16931 XML embedded)."
    )
    xml_url = SerializerMethodField(
        help_text="The e-invoice XML (Factur-X CII or "
        "XRechnung); null for a PDF-only invoice."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf_url(self, invoice) -> str:
        return self._url(invoice, "pdf")

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_xml_url(self, invoice) -> str | None:
        if invoice.einvoice_format == EInvoiceFormat.PDF:
            return None
        return self._url(invoice, "xml")

    def _url(self, invoice, kind: str) -> str:
        path = reverse(f"invoice-{kind}", args=[invoice.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "account",
            "contract",
            "corrects",
            "status",
            "issued_on",
            "due_on",
            "currency",
            "net",
            "tax",
            "gross",
            "paid_on",
            "buyer_reference",
            "purchase_order_ref",
            "einvoice_format",
            "einvoice_error",
            "pdf_url",
            "xml_url",
            "lines",
        ]
        read_only_fields = fields


class ContractViewSet(viewsets.ReadOnlyModelViewSet):
    """Contracts of the accounts the caller may see."""

    serializer_class = ContractSerializer
    filterset_fields = ["status", "account"]

    def get_queryset(self):
        return selectors.contract_list_for_user(
            user=self.request.user
        ).prefetch_related("lines__product")


class SubscriptionViewSet(viewsets.ReadOnlyModelViewSet):
    """Subscriptions of the accounts the caller may see."""

    serializer_class = SubscriptionSerializer
    filterset_fields = ["status", "account", "contract"]

    def get_queryset(self):
        return selectors.subscription_list_for_user(user=self.request.user).order_by(
            "pk"
        )


class InvoiceViewSet(viewsets.ReadOnlyModelViewSet):
    """Invoices and credit notes of the accounts the caller may see."""

    serializer_class = InvoiceSerializer
    filterset_fields = ["status", "account", "kind"]

    def get_queryset(self):
        return selectors.invoice_list_for_user(user=self.request.user).order_by(
            "-issued_on", "-pk"
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                              (409, "text/plain"): OpenApiTypes.STR})  # fmt: skip
    @action(detail=True, url_path="pdf", url_name="pdf")
    def pdf(self, request, pk=None):
        """The invoice's PDF (as sent, or as it would be sent)."""
        return invoice_file_response(self.get_object(), "pdf")

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY,
                              (409, "text/plain"): OpenApiTypes.STR})  # fmt: skip
    @action(detail=True, url_path="xml", url_name="xml")
    def xml(self, request, pk=None):
        """The e-invoice XML, validated; 404 for a PDF-only invoice, 409 with the
        reasons where it does not validate."""
        return invoice_file_response(self.get_object(), "xml")
