from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from accounts import selectors
from accounts.models import Account, Contact, OrderLine, Task
from accounts.services import accounts as account_services
from accounts.services import contacts as contact_services
from accounts.services import todos
from core.access import can_change
from core.drf import ModelSerializer
from core.models import User


class AccountSerializer(ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    deputy = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        required=False,
    )
    revenue_trend = serializers.DecimalField(
        max_digits=8, decimal_places=1, read_only=True, allow_null=True
    )
    tier = serializers.ChoiceField(
        choices=[("", "not yet ranked"), *Account.Tier.choices], read_only=True
    )
    key_account_criteria = serializers.ListField(
        child=serializers.ChoiceField(choices=Account.Criterion.choices),
        allow_empty=True,
        max_length=len(Account.Criterion.choices),
        required=False,
        help_text="The key account selection criteria the account meets.",
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "external_ref",
            "name",
            "legal_name",
            "vat_id",
            "street",
            "postal_code",
            "city",
            "country",
            "currency",
            "language",
            "industry",
            "parent",
            "owner",
            "deputy",
            "service_path",
            "complexity",
            "lifecycle",
            "tier",
            "is_key_account",
            "key_account_criteria",
            "key_account_score",
            "revenue_potential",
            "strategic_fit",
            "revenue_12m",
            "revenue_prev_12m",
            "revenue_trend",
            "attractiveness",
            "position",
            "last_touch_at",
            "updated_at",
        ]
        read_only_fields = [
            "external_ref",
            "tier",
            "revenue_12m",
            "revenue_prev_12m",
            "attractiveness",
            "position",
            "last_touch_at",
            "updated_at",
        ]


class AccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Accounts the caller may see (the same access rule as the pages)."""

    serializer_class = AccountSerializer
    filterset_fields = ["country", "tier", "lifecycle", "is_key_account", "owner"]
    search_fields = ["name", "legal_name", "city"]

    def get_queryset(self):
        return selectors.account_list_for_user(user=self.request.user).order_by(
            "name", "pk"
        )

    def perform_update(self, serializer):
        if not can_change(self.request.user, serializer.instance):
            raise PermissionDenied
        if (
            serializer.validated_data.get("parent")
            and not selectors.account_list_for_user(user=self.request.user)
            .filter(pk=serializer.validated_data["parent"].pk)
            .exists()
        ):
            raise serializers.ValidationError({"parent": ["Unknown account."]})
        serializer.instance = account_services.account_update(
            account=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ContactSerializer(ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "account", "external_ref", *Contact.EDITABLE, "updated_at"]
        read_only_fields = ["updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        user = self.context["request"].user
        fields["account"].queryset = selectors.account_list_for_user(user=user)
        fields["reports_to"].queryset = selectors.contact_list_for_user(user=user)
        return fields


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: OpenApiResponse(description="Removed."),
            409: OpenApiResponse(
                response=ConflictSerializer,
                description="Offers or contracts still name the contact; "
                "`detail` says which. Nothing was changed.",
            ),
        }
    )
)
class ContactViewSet(viewsets.ModelViewSet):
    serializer_class = ContactSerializer
    filterset_fields = ["account", "role", "attitude"]

    def get_queryset(self):
        return selectors.contact_list_for_user(user=self.request.user).order_by("pk")

    def _check(self, account):
        if not can_change(self.request.user, account):
            raise PermissionDenied

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        account = data.pop("account")
        self._check(account)
        serializer.instance = contact_services.contact_create(account=account, **data)

    def perform_update(self, serializer):
        self._check(serializer.instance.account)
        data = dict(serializer.validated_data)
        if (
            data.pop("account", serializer.instance.account)
            != serializer.instance.account
        ):
            raise serializers.ValidationError(
                {"account": ["A contact cannot move accounts."]}
            )
        serializer.instance = contact_services.contact_update(
            contact=serializer.instance, **data
        )

    def perform_destroy(self, instance):
        self._check(instance.account)
        contact_services.contact_delete(contact=instance)


class OrderLineSerializer(ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "account",
            "ordered_on",
            "product_code",
            "product_name",
            "quantity",
            "net_amount",
            "currency",
            "external_ref",
        ]


class OrderLineViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrderLineSerializer
    filterset_fields = ["account", "currency"]

    def get_queryset(self):
        return selectors.order_lines_for_user(user=self.request.user).order_by(
            "-ordered_on", "-pk"
        )


class TaskSerializer(ModelSerializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "notes",
            "due_at",
            "assignee",
            "account",
            "done_at",
            "reminder_sent_at",
            "created_at",
        ]
        read_only_fields = ["done_at", "reminder_sent_at", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["account"].queryset = selectors.account_list_for_user(
            user=self.context["request"].user
        )
        return fields


class TaskViewSet(viewsets.ModelViewSet):
    serializer_class = TaskSerializer
    filterset_fields = ["account", "assignee"]

    def get_queryset(self):
        return selectors.task_list_for_user(user=self.request.user).order_by(
            "due_at", "pk"
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.setdefault("assignee", self.request.user)
        serializer.instance = todos.task_create(actor=self.request.user, **data)

    @transaction.atomic
    def perform_update(self, serializer):
        serializer.instance = todos.task_update(
            task=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        todos.task_delete(task=instance)
