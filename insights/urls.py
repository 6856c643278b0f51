from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("", views.index, name="index"),
    path("upsell/", views.upsell, name="upsell"),
    path("renewals/", views.retention, name="retention"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("health/", views.health, name="health"),
    path("churn-target/", views.churn_target, name="churn-target"),
]
