from django.contrib import admin

from accounts.models import (
    Account,
    Contact,
    Document,
    Handoff,
    OrderLine,
    PortfolioConfig,
    Task,
    Touchpoint,
)
from core.admin import HistoryAdmin


class ContactInline(admin.TabularInline):
    model = Contact
    fields = [
        "first_name",
        "last_name",
        "job_title",
        "email",
        "role",
        "influence",
        "attitude",
    ]
    extra = 0
    show_change_link = True


@admin.register(Account)
class AccountAdmin(HistoryAdmin):
    list_display = [
        "name",
        "tier",
        "revenue_12m",
        "lifecycle",
        "service_path",
        "owner",
        "deputy",
        "country",
        "is_key_account",
    ]
    list_filter = [
        "tier",
        "lifecycle",
        "service_path",
        "is_key_account",
        "country",
        "owner__team",
    ]
    search_fields = ["name", "legal_name", "external_ref", "vat_id", "city"]
    list_select_related = ["owner", "deputy"]
    autocomplete_fields = ["owner", "deputy", "parent", "billing_contact"]
    readonly_fields = [
        "tier",
        "revenue_12m",
        "revenue_prev_12m",
        "attractiveness",
        "position",
        "score_inputs",
        "portfolio_computed_at",
        "last_touch_at",
    ]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "account",
        "job_title",
        "role",
        "influence",
        "attitude",
        "email",
    ]
    list_filter = ["role", "attitude", "do_not_contact"]
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "account__name",
        "external_ref",
    ]
    list_select_related = ["account"]
    autocomplete_fields = ["account", "reports_to"]


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = [
        "ordered_on",
        "account",
        "product",
        "quantity",
        "net_amount",
        "currency",
        "external_ref",
    ]
    list_filter = ["currency", "product__family"]
    search_fields = ["external_ref", "account__name", "product__code"]
    list_select_related = ["account", "product"]
    date_hierarchy = "ordered_on"
    autocomplete_fields = ["account", "product"]


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "account", "channel", "subject", "created_by"]
    list_filter = ["channel"]
    search_fields = ["subject", "account__name"]
    list_select_related = ["account", "created_by"]
    date_hierarchy = "occurred_at"

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "account",
        "mimetype",
        "size",
        "uploaded_by",
        "created_at",
    ]
    search_fields = ["title", "filename", "account__name"]
    list_select_related = ["account", "uploaded_by"]
    readonly_fields = ["file", "filename", "mimetype", "size", "sha256", "uploaded_by"]

    def has_add_permission(self, request):
        return False  # uploads are checked by document_upload on the account page


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "due_at",
        "assignee",
        "account",
        "done_at",
        "reminder_sent_at",
    ]
    list_filter = ["done_at"]
    search_fields = ["title", "account__name"]
    list_select_related = ["assignee", "account"]


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "proposed_path",
        "team",
        "status",
        "submitted_by",
        "created_at",
    ]
    list_filter = ["status", "proposed_path"]
    list_select_related = ["account", "team", "submitted_by"]


@admin.register(PortfolioConfig)
class PortfolioConfigAdmin(admin.ModelAdmin):
    list_display = ["__str__", "a_share", "b_share", "key_accounts_per_kam"]

    def has_add_permission(self, request):
        return not PortfolioConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
