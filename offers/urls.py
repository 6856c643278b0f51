from django.urls import path

from offers import views

app_name = "offers"
urlpatterns = [
    path("", views.offer_list, name="list"),
    path("approvals/", views.approval_queue, name="approvals"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_decide, name="inbox-decide"),
    path("new/<int:account_pk>/", views.offer_create, name="create"),
    path("<int:pk>/", views.offer_detail, name="detail"),
    path("<int:pk>/edit/", views.offer_edit, name="edit"),
    path("<int:pk>/pdf/", views.offer_pdf, name="pdf"),
    path("<int:pk>/options/", views.option_add, name="option-add"),
    path(
        "<int:pk>/options/<int:option_pk>/delete/",
        views.option_delete,
        name="option-delete",
    ),
    path("<int:pk>/options/<int:option_pk>/lines/", views.line_add, name="line-add"),
    path("<int:pk>/lines/<int:line_pk>/", views.line_update, name="line-update"),
    path(
        "<int:pk>/request-approval/",
        views.offer_request_approval,
        name="request-approval",
    ),
    path("<int:pk>/decide/", views.offer_decide, name="decide"),
    path("<int:pk>/send/", views.offer_send, name="send"),
    path("<int:pk>/revise/", views.offer_revise, name="revise"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_edit, name="template-edit"),
    path(
        "templates/<int:pk>/preview/", views.template_preview, name="template-preview"
    ),
    # the customer's PDF: no login, the signed token is the key (the page that
    # accepts is contracts/acceptance_urls.py, at accept/<token>/)
    path("accept/<str:token>/pdf/", views.accept_pdf, name="accept-pdf"),
]
