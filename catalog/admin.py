from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from catalog import services
from catalog.models import (
    ExchangeRate,
    Package,
    PackageItem,
    PackageVersion,
    Product,
    ProductFamily,
    ProductPrice,
)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "rate_to_base"]


@admin.register(ProductFamily)
class ProductFamilyAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class ProductPriceInline(admin.TabularInline):
    model = ProductPrice
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "family",
        "kind",
        "billing_period",
        "unit",
        "unit_code",
        "tax_rate",
        "is_active",
    ]
    list_filter = ["family", "kind", "billing_period", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["family"]
    inlines = [ProductPriceInline]


class PackageItemInline(admin.TabularInline):
    model = PackageItem
    extra = 1
    autocomplete_fields = ["product"]

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.is_locked) and super().has_change_permission(
            request, obj
        )

    def has_add_permission(self, request, obj=None):
        return not (obj and obj.is_locked) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.is_locked) and super().has_delete_permission(
            request, obj
        )


@admin.register(PackageVersion)
class PackageVersionAdmin(admin.ModelAdmin):
    """A locked version is read-only: changing it means a new version."""

    list_display = [
        "package",
        "number",
        "currency",
        "price_mode",
        "package_price",
        "discount_percent",
        "locked_at",
    ]
    list_filter = ["package", "currency", "price_mode"]
    list_select_related = ["package"]
    readonly_fields = ["locked_at"]
    inlines = [PackageItemInline]
    actions = ["copy_as_new_version"]

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.is_locked) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.is_locked) and super().has_delete_permission(
            request, obj
        )

    def get_readonly_fields(self, request, obj=None):
        if obj:
            return ["package", "number", "locked_at"]
        return ["number", "locked_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            last = obj.package.versions.order_by("-number").first()
            obj.number = (last.number if last else 0) + 1
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Copy as a new editable version"))
    def copy_as_new_version(self, request, queryset):
        for version in queryset.select_related("package"):
            new = services.package_version_copy(version=version)
            self.message_user(
                request, _("Created %(v)s.") % {"v": new}, messages.SUCCESS
            )


class PackageVersionInline(admin.TabularInline):
    model = PackageVersion
    fields = [
        "number",
        "currency",
        "price_mode",
        "package_price",
        "discount_percent",
        "locked_at",
    ]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name"]
    inlines = [PackageVersionInline]
