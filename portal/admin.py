from django.contrib import admin

from portal.models import PortalLink


@admin.register(PortalLink)
class PortalLinkAdmin(admin.ModelAdmin):
    """Who asked for a sign-in link, when, and whether it was used (the token is
    kept only as its digest: nothing here signs anyone in)."""

    list_display = ["contact", "created_at", "expires_at", "used_at", "used_ip"]
    list_select_related = ["contact__account"]
    search_fields = ["contact__email", "contact__last_name", "contact__account__name"]
    date_hierarchy = "created_at"
    readonly_fields = ["contact", "created_at", "expires_at", "used_at", "used_ip"]
    exclude = ["token_sha256"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
