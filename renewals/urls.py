from django.urls import path

from renewals import views

app_name = "renewals"
urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("recovery/", views.recovery, name="recovery"),
    path("recovery/<int:pk>/", views.churn_reason, name="churn"),
    path("recovery/<int:pk>/win-back/", views.winback, name="win-back"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
]
