from django.contrib import admin

from renewals.models import Churn, RenewalConfig, RenewalFailure, RenewalRun


class RenewalFailureInline(admin.TabularInline):
    model = RenewalFailure
    extra = 0
    can_delete = False
    fields = ["step", "contract", "error", "at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RenewalRun)
class RenewalRunAdmin(admin.ModelAdmin):
    list_display = [
        "business_date",
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "failure_count",
        "counts",
    ]
    list_filter = ["status", "trigger"]
    date_hierarchy = "business_date"
    inlines = [RenewalFailureInline]
    readonly_fields = [
        "business_date",
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "counts",
        "failure_count",
    ]

    def has_add_permission(self, request):
        return False  # runs come from the schedule or `manage.py run_renewals`

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RenewalConfig)
class RenewalConfigAdmin(admin.ModelAdmin):
    list_display = ["__str__", "pricing", "uplift_percent", "lead_days"]

    def has_add_permission(self, request):
        return not RenewalConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Churn)
class ChurnAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "lost_on",
        "lost_arr",
        "currency",
        "reason",
        "won_back_on",
    ]
    list_filter = ["reason", ("won_back_on", admin.EmptyFieldListFilter)]
    search_fields = ["account__name"]
    list_select_related = ["account"]
    readonly_fields = [
        "account",
        "contract",
        "lost_on",
        "lost_arr",
        "currency",
        "reason_by",
        "reason_at",
        "winback_offer",
        "won_back_on",
        "created_at",
    ]
    fields = [*readonly_fields[:5], "reason", "note", *readonly_fields[5:]]

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        # reasons are recorded on the recovery list, through the service
        return self.fields
