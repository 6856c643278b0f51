"""Read-only API for contracts, subscriptions and invoices (access-filtered)."""

from rest_framework import serializers, viewsets

from contracts import selectors
from contracts.models import Contract, ContractLine, Invoice, InvoiceLine, Subscription
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
