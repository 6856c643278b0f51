"""Account plans and the voice of the customer, at the paths they have always had
under /insights/ (kam/urls.py)."""

from django.urls import path

from accounts.views import account_form
from planning import views

app_name = "planning"
urlpatterns = [
    path("accounts/<int:pk>/nps/", views.nps_create, name="nps-create"),
    path("accounts/<int:pk>/feedback/", views.feedback_create, name="feedback-create"),
    # the health panel's folded forms, fetched when opened
    path("accounts/<int:pk>/nps/form/", account_form, {"kind": "nps"}, name="nps-form"),
    path(
        "accounts/<int:pk>/feedback/form/",
        account_form,
        {"kind": "feedback"},
        name="feedback-form",
    ),
    path("feedback/<int:pk>/status/", views.feedback_status, name="feedback-status"),
    path("accounts/<int:account_pk>/plans/", views.plan_list, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/pdf/", views.plan_pdf, name="plan-pdf"),
    path("plans/<int:pk>/objectives/", views.objective_add, name="objective-add"),
    path(
        "plans/<int:pk>/objectives/<int:objective_pk>/",
        views.objective_update,
        name="objective-update",
    ),
    path("plans/<int:pk>/actions/", views.action_add, name="action-add"),
    path("plans/<int:pk>/reviews/", views.review_add, name="review-add"),
    path("plans/<int:pk>/agree/", views.plan_agree, name="plan-agree"),
    path("plans/<int:pk>/reopen/", views.plan_reopen, name="plan-reopen"),
]
