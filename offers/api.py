from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from accounts.selectors import account_list_for_user, contact_list_for_user
from core.access import can_change
from core.drf import ModelSerializer
from offers import selectors
from offers.models import Offer, OfferLine, OfferOption
from offers.services import building as offer_building


class LineSerializer(ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    net = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = OfferLine
        fields = [
            "id",
            "product_code",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "price_unit",
            "tax_rate",
            "net",
        ]
        read_only_fields = ["price_unit"]


class OptionSerializer(ModelSerializer):
    lines = LineSerializer(many=True, read_only=True)
    totals = serializers.SerializerMethodField()

    class Meta:
        model = OfferOption
        fields = ["id", "name", "position", "lines", "totals"]

    def get_totals(self, option) -> dict[str, str]:
        """The term's totals and the figures per billing period and year, as the
        customer sees them (catalog.pricing)."""
        return option.figures().as_dict()


class OfferSerializer(ModelSerializer):
    options = OptionSerializer(many=True, read_only=True)
    option_names = serializers.ListField(
        child=serializers.CharField(max_length=100),
        write_only=True,
        required=False,
        min_length=1,
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "number",
            "revision",
            "account",
            "contact",
            "title",
            "status",
            "language",
            "currency",
            "valid_until",
            "start_on",
            "duration_months",
            "billing_period",
            "auto_renew",
            "notice_days",
            "sent_at",
            "delivery",
            "accepted_option",
            "options",
            "option_names",
            "created_at",
            "updated_at",
        ]
        # the business rules a client can know beforehand, in the schema too
        extra_kwargs = {
            "duration_months": {
                "min_value": 1,
                "max_value": offer_building.MAX_DURATION_MONTHS,
                "help_text": "The term in months, 1 to "
                f"{offer_building.MAX_DURATION_MONTHS}.",
            },
            "valid_until": {
                "help_text": "Today or later: the customer answers until then."
            },
            "contact": {"help_text": "A contact of the account."},
        }
        read_only_fields = [
            "number",
            "revision",
            "status",
            "language",
            "currency",
            "start_on",
            "sent_at",
            "delivery",
            "accepted_option",
            "created_at",
            "updated_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        user = self.context["request"].user
        fields["account"].queryset = account_list_for_user(user=user)
        fields["contact"].queryset = contact_list_for_user(user=user)
        return fields


class OfferViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Offers the caller may see; POST creates a draft (status cannot be set)."""

    serializer_class = OfferSerializer
    filterset_fields = ["status", "account"]

    def get_queryset(self):
        return (
            selectors.offer_list_for_user(user=self.request.user)
            .prefetch_related("options__lines__product")
            .order_by("-created_at", "-pk")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        account = data.pop("account")
        if not can_change(self.request.user, account):
            raise PermissionDenied
        names = data.pop("option_names", ["Standard"])
        data.pop("status", None)
        serializer.instance = offer_building.offer_create(
            account=account, actor=self.request.user, option_names=names, **data
        )
