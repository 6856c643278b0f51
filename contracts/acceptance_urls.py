"""The acceptance pages, under /offers/ (see contracts/acceptance_views.py)."""

from django.urls import path

from contracts import acceptance_views

app_name = "acceptance"
urlpatterns = [
    path(
        "<int:pk>/phone-accept/", acceptance_views.offer_phone_accept,
        name="phone-accept",
    ),
    # the customer's page: no login, the signed token is the key
    path("accept/<str:token>/", acceptance_views.accept, name="accept"),
]  # fmt: skip
