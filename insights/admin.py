from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import HistoryAdmin
from insights.models import ChurnTarget, HealthConfig


@admin.register(HealthConfig)
class HealthConfigAdmin(admin.ModelAdmin):
    """The weights of the health score; one row."""

    fieldsets = [
        (
            _("Weights"),
            {
                "fields": [
                    "revenue_trend", "nps", "last_touch", "overdue", "escalations",
                    "contract_end", "contacts",
                ]
            },
        ),
        (_("Contact cadence"), {"fields": ["cadence_a_days", "cadence_b_days",
                                        "cadence_c_days"]}),
        (_("Early warning"), {"fields": ["warning_drop", "warning_days"]}),
    ]  # fmt: skip

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not HealthConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChurnTarget)
class ChurnTargetAdmin(HistoryAdmin):
    """Read-only: managers set targets on the renewals and churn report."""

    list_display = ["year", "team", "reduction_percent", "set_by", "updated_at"]
    list_filter = ["year", "team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
