from django.urls import path

from accounts.views import account_form
from insights import plan_views, views

app_name = "insights"
urlpatterns = [
    path("", views.index, name="index"),
    path("upsell/", views.upsell, name="upsell"),
    path("renewals/", views.retention, name="retention"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("health/", views.health, name="health"),
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
    path("accounts/<int:account_pk>/plans/", plan_views.plan_list, name="plans"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", plan_views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/pdf/", plan_views.plan_pdf, name="plan-pdf"),
    path("plans/<int:pk>/objectives/", plan_views.objective_add, name="objective-add"),
    path(
        "plans/<int:pk>/objectives/<int:objective_pk>/",
        plan_views.objective_update,
        name="objective-update",
    ),
    path("plans/<int:pk>/actions/", plan_views.action_add, name="action-add"),
    path("plans/<int:pk>/reviews/", plan_views.review_add, name="review-add"),
    path("plans/<int:pk>/agree/", plan_views.plan_agree, name="plan-agree"),
    path("plans/<int:pk>/reopen/", plan_views.plan_reopen, name="plan-reopen"),
    path("churn-target/", views.churn_target, name="churn-target"),
]
