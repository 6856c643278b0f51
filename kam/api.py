from rest_framework import routers, serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from accounts.api import AccountViewSet, ContactViewSet, OrderLineViewSet, TaskViewSet
from contracts.api import ContractViewSet, InvoiceViewSet, SubscriptionViewSet
from offers.api import OfferViewSet


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    team = serializers.CharField(allow_null=True)


@api_view(["GET"])
def me(request):
    """Return who the caller is and which roles they hold."""
    user = request.user
    data = {
        "username": user.username,
        "name": str(user),
        "roles": sorted(user.role_names),
        "team": str(user.team) if user.team_id else None,
    }
    return Response(MeSerializer(data).data)


me.cls.serializer_class = MeSerializer

router = routers.DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("order-lines", OrderLineViewSet, basename="orderline")
router.register("tasks", TaskViewSet, basename="task")
router.register("offers", OfferViewSet, basename="offer")
router.register("contracts", ContractViewSet, basename="contract")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
router.register("invoices", InvoiceViewSet, basename="invoice")
