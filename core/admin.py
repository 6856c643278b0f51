from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from core import services
from core.exceptions import ApplicationError
from core.models import OutboundAttachment, OutboundMessage, SellerProfile, Team, User


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's pages, to read. Its "revert" saves an earlier version through
    the change form, past the services that own every change (and past an issued
    invoice's immutability): it is off, and a posted revert is refused."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_view(self, request, object_id, extra_context=None):
        # an id that is no id ("11/change") is a 404, as on the change page
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class FrozenAdmin(HistoryAdmin):
    """An admin whose objects, once `is_frozen`, cannot be saved from the change
    form: a post gets `frozen_message` and changes nothing (the form shows every
    field read-only anyway; this closes the door to a hand-made post)."""

    frozen_message = _("This cannot be changed here.")

    def is_frozen(self, obj) -> bool:
        return True

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.is_frozen(obj):
                self.message_user(request, self.frozen_message, messages.ERROR)
                return HttpResponseRedirect(request.path)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("KAM"), {"fields": ("team", "phone")}),
    )
    list_display = ["username", "first_name", "last_name", "email", "team", "is_active"]
    list_filter = ["groups", "team", "is_active", "is_staff"]
    list_select_related = ["team"]
    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-factor sign-in (lost phone and codes)"))
    def reset_two_factor(self, request, queryset):
        """The break-glass for a user who lost the phone and the recovery codes:
        they sign in with the password and set it up again (as their role
        requires)."""
        from core import two_factor

        for user in queryset:
            two_factor.turn_off(user)
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in reset for %(n)d user.",
                "Two-factor sign-in reset for %(n)d users.",
                queryset.count(),
            )
            % {"n": queryset.count()},
        )


# devices are set up and reset through KAM's own pages (core.two_factor) and the
# action above; django-otp's admin pages show a device's secret
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class MemberInline(admin.TabularInline):
    model = User
    fields = ["username", "first_name", "last_name", "email"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    list_select_related = ["manager"]
    search_fields = ["name"]
    autocomplete_fields = ["manager"]
    inlines = [MemberInline]


class AttachmentInline(admin.TabularInline):
    model = OutboundAttachment
    fields = ["filename", "mimetype", "size", "file"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The outbox is a record: read-only, except sending a failed message again."""

    list_display = [
        "subject",
        "recipients",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["subject", "to", "rfc_message_id", "provider_message_id"]
    date_hierarchy = "created_at"
    inlines = [AttachmentInline]
    actions = ["retry_failed"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["related_link"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("to"))
    def recipients(self, obj):
        return ", ".join(obj.to)

    @admin.display(description=_("related object"))
    def related_link(self, obj):
        return str(obj.related) if obj.related_object_id else "—"

    @admin.action(description=_("Send failed messages again"))
    def retry_failed(self, request, queryset):
        done = 0
        for message_id in queryset.values_list("pk", flat=True):
            try:
                services.message_retry(message_id=message_id)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.WARNING)
        if done:
            self.message_user(
                request,
                ngettext("%d message queued again.", "%d messages queued again.", done)
                % done,
                messages.SUCCESS,
            )


@admin.register(SellerProfile)
class SellerProfileAdmin(admin.ModelAdmin):
    """The one seller profile: invoices, credit notes, offers and contracts print
    it; no invoice is issued before it is entered."""

    fieldsets = [
        (None, {"fields": ["name", "street", "postal_code", "city", "country"]}),
        (
            _("Tax and register"),
            {
                "fields": [
                    "vat_id",
                    "tax_number",
                    "register_court",
                    "register_number",
                    "managing_directors",
                ]
            },
        ),
        (
            _("Contact for invoices"),
            {"fields": ["contact_name", "phone", "email", "website"]},
        ),
        (
            _("Payment"),
            {"fields": ["bank_name", "iban", "bic", "sepa_creditor_id"]},
        ),
    ]

    def has_add_permission(self, request):
        return (
            super().has_add_permission(request) and not SellerProfile.objects.exists()
        )

    def has_delete_permission(self, request, obj=None):
        return False  # issued invoices keep their own copy; the profile stays

    def changelist_view(self, request, extra_context=None):
        """The list of one: straight to it (or to entering it)."""
        from django.urls import reverse

        profile = SellerProfile.current()
        if profile is None:
            return HttpResponseRedirect(reverse("admin:core_sellerprofile_add"))
        return HttpResponseRedirect(
            reverse("admin:core_sellerprofile_change", args=[profile.pk])
        )
