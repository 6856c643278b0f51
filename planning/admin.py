from django.contrib import admin

from planning.models import FeedbackItem, NpsResponse


@admin.register(NpsResponse)
class NpsResponseAdmin(admin.ModelAdmin):
    list_display = ["account", "score", "contact", "answered_on"]
    list_filter = ["answered_on"]
    search_fields = ["account__name", "comment"]
    raw_id_fields = ["account", "contact"]


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "kind", "status", "raised_on"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "account__name"]
    raw_id_fields = ["account", "contact"]
