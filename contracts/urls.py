from django.urls import path

from contracts import views

app_name = "contracts"
urlpatterns = [
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/new-offer/", views.offer_from_contract, name="new-offer"),
    path("<int:pk>/notice/", views.contract_notice, name="notice"),
    # the customer's pages: no login, the signed token is the key
    path("sign/<str:token>/", views.sign, name="sign"),
    path("sign/<str:token>/pdf/", views.sign_pdf, name="sign-pdf"),
]
