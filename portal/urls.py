from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.sign_in, name="sign-in"),
    path("in/<str:token>/", views.enter, name="enter"),
    path("out/", views.sign_out, name="sign-out"),
    path("home/", views.home, name="home"),
    path(
        "invoices/<int:pk>/pdf/",
        views.invoice_file,
        {"kind": "pdf"},
        name="invoice-pdf",
    ),
    path(
        "invoices/<int:pk>/xml/",
        views.invoice_file,
        {"kind": "xml"},
        name="invoice-xml",
    ),
    path("contracts/<int:pk>/pdf/", views.contract_pdf, name="contract-pdf"),
    path("contracts/<int:pk>/notice/", views.notice, name="notice"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("change/", views.change, name="change"),
    path("nps/", views.nps, name="nps"),
]
