from django.urls import path

from accounts import calendar_views, portfolio_views, views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/timeline/", views.account_timeline, name="timeline"),
    # the 360's lazy sections (accounts.panels.LAZY), fetched when in view
    path("<int:pk>/panels/<slug:name>/", views.account_panel, name="panel"),
    path("<int:pk>/touchpoints/", views.touchpoint_create, name="touchpoint-create"),
    path("<int:pk>/documents/", views.document_upload, name="document-upload"),
    path("<int:pk>/email/", views.email_send, name="email-send"),
    path("<int:pk>/tasks/", views.task_create_for_account, name="task-create"),
    # the 360's folded forms, fetched when opened
    path(
        "<int:pk>/touchpoints/form/",
        views.account_form,
        {"kind": "touchpoint"},
        name="touchpoint-form",
    ),
    path(
        "<int:pk>/email/form/", views.account_form, {"kind": "email"}, name="email-form"
    ),
    path(
        "<int:pk>/tasks/form/", views.account_form, {"kind": "task"}, name="task-form"
    ),
    path(
        "<int:pk>/documents/form/",
        views.account_form,
        {"kind": "document"},
        name="document-form",
    ),
    path("<int:account_pk>/contacts/new/", views.contact_edit, name="contact-create"),
    path(
        "<int:account_pk>/contacts/<int:pk>/", views.contact_edit, name="contact-edit"
    ),
    path(
        "<int:account_pk>/contacts/<int:pk>/delete/",
        views.contact_delete,
        name="contact-delete",
    ),
    path("documents/<int:pk>/", views.document_download, name="document-download"),
    path("documents/<int:pk>/portal/", views.document_share, name="document-share"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_edit, name="task-new"),
    path("tasks/<int:pk>/", views.task_edit, name="task-edit"),
    path("tasks/<int:pk>/done/", views.task_toggle, name="task-toggle"),
    path("handoffs/", views.handoff_list, name="handoffs"),
    path("handoffs/new/", views.handoff_create, name="handoff-create"),
    path("handoffs/<int:pk>/assign/", views.handoff_assign, name="handoff-assign"),
    path("import/", views.import_view, name="import"),
    path("portfolio/", portfolio_views.portfolio, name="portfolio"),
    path(
        "portfolio/recompute/",
        portfolio_views.portfolio_recompute,
        name="portfolio-recompute",
    ),
    path("calendar/", calendar_views.calendar_settings, name="calendar"),
    path("calendar/rotate/", calendar_views.calendar_rotate, name="calendar-rotate"),
    path(
        "calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar-feed"
    ),
]
