from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Account


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin):
    list_display = ["name", "owner", "deputy", "industry", "country", "updated_at"]
    list_filter = ["country", "owner__team"]
    search_fields = ["name", "industry"]
    list_select_related = ["owner", "deputy"]
    autocomplete_fields = ["owner", "deputy"]
