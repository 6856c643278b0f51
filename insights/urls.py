from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("upsell/", views.upsell, name="upsell"),
]
