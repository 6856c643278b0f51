from django.urls import path

from contracts import views

app_name = "contracts"
urlpatterns = [
    path("<int:pk>/", views.contract_detail, name="detail"),
    # an invoice's files, under the access rule of its account
    path(
        "invoices/<int:pk>/pdf/",
        views.invoice_download,
        {"kind": "pdf"},
        name="invoice-pdf",
    ),
    path(
        "invoices/<int:pk>/xml/",
        views.invoice_download,
        {"kind": "xml"},
        name="invoice-xml",
    ),
    path("<int:pk>/new-offer/", views.offer_from_contract, name="new-offer"),
    path("<int:pk>/notice/", views.contract_notice, name="notice"),
    # the customer's pages: no login, the signed token is the key
    path("sign/<str:token>/", views.sign, name="sign"),
    path("sign/<str:token>/pdf/", views.sign_pdf, name="sign-pdf"),
]
