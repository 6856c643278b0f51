from rest_framework import serializers, viewsets

from accounts import selectors
from accounts.models import Account


class AccountSerializer(serializers.ModelSerializer):
    owner = serializers.StringRelatedField()
    deputy = serializers.StringRelatedField()

    class Meta:
        model = Account
        fields = ["id", "name", "industry", "country", "owner", "deputy", "updated_at"]


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    """Accounts the caller may see (the same access rule as the pages)."""

    serializer_class = AccountSerializer
    filterset_fields = ["country"]

    def get_queryset(self):
        return selectors.account_list_for_user(user=self.request.user)
