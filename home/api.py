from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import routers, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
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


class TokenRequestSerializer(AuthTokenSerializer):
    # a name longer than any user's is refused before it is looked up (and
    # before django-axes records the failed attempt in a 255-character column)
    username = serializers.CharField(
        label=gettext_lazy("Username"), max_length=150, write_only=True
    )
    password = serializers.CharField(
        label=gettext_lazy("Password"), max_length=4096, write_only=True,
        trim_whitespace=False, style={"input_type": "password"},
    )  # fmt: skip


class TokenView(ObtainAuthToken):
    """A token for a username and password, locked out after repeated failures
    just like the login page (django-axes counts both alike)."""

    serializer_class = TokenRequestSerializer

    @extend_schema(
        responses={
            200: inline_serializer("AuthToken", {"token": serializers.CharField()}),
            429: OpenApiResponse(
                description="Too many failed attempts: locked out for a while."
            ),
        }
    )
    def post(self, request, *args, **kwargs):
        data = request.data if hasattr(request.data, "get") else {}
        credentials = {"username": str(data.get("username", ""))[:150]}
        AxesProxyHandler.update_request(request._request)
        # a name with a NUL character is no user's (the serializer says so with a
        # 400); the database cannot even be asked about it
        if "\x00" not in credentials["username"] and AxesProxyHandler.is_locked(
            request._request, credentials
        ):
            minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
            return Response(
                {
                    "detail": _("Too many failed attempts. Try again in %(n)d minutes.")
                    % {"n": minutes}
                },
                status=429,
            )
        return super().post(request, *args, **kwargs)
