from django.contrib import admin

from offers.forms import TemplateForm
from offers.models import (
    ApprovalRule,
    InboundMail,
    Offer,
    OfferEvent,
    OfferOption,
    OfferTemplate,
)


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "threshold", "is_active"]
    list_filter = ["kind", "is_active"]


class OfferTemplateForm(TemplateForm):
    """The same placeholder check as the templates page."""

    class Meta(TemplateForm.Meta):
        fields = ["kind", "language", "subject", "body", "closing"]


@admin.register(OfferTemplate)
class OfferTemplateAdmin(admin.ModelAdmin):
    form = OfferTemplateForm
    list_display = ["kind", "language", "subject", "updated_at"]


class OfferEventInline(admin.TabularInline):
    model = OfferEvent
    fields = ["at", "from_status", "to_status", "actor", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OfferOptionInline(admin.TabularInline):
    model = OfferOption
    fields = ["name", "position"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    """Offers are changed by KAMs on their pages; the admin shows them read-only."""

    list_display = [
        "number",
        "revision",
        "account",
        "title",
        "status",
        "valid_until",
        "sent_at",
    ]
    list_filter = ["status", "language"]
    search_fields = ["number", "title", "account__name"]
    list_select_related = ["account"]
    inlines = [OfferOptionInline, OfferEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    """Inbound mail as it came in; it is reviewed on the KAM's inbox page."""

    list_display = ["received_at", "from_email", "subject", "account", "status"]
    list_filter = ["status", "is_answer"]
    search_fields = ["from_email", "subject", "account__name"]
    list_select_related = ["account"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
