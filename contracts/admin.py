"""Customer services' workplace: the contract worklist, checks, signature, finalize.

Every action calls the same services as the rest of the app; nothing here writes
to the database directly.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import EInvoiceFormat
from contracts import selectors
from contracts import selectors as contract_selectors
from contracts.forms import ReasonForm, SignedScanForm
from contracts.models import (
    Contract,
    ContractEvent,
    ContractLine,
    ContractTerm,
    Invoice,
    InvoiceLine,
    Subscription,
)
from contracts.services import billing, lifecycle
from contracts.services import signing as contract_signing
from core.admin import FrozenAdmin
from core.dates import show_date
from core.exceptions import ApplicationError
from core.forms import run_service


class WorklistFilter(admin.SimpleListFilter):
    title = gettext_lazy("worklist")
    parameter_name = "worklist"

    def lookups(self, request, model_admin):
        return list(selectors.WORKLIST.items())

    def queryset(self, request, queryset):
        q = selectors.worklist_filters().get(self.value())
        return queryset if q is None else queryset.filter(q)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # shown with its contract or invoice: whoever may view those sees the rows
        parent = "invoice" if self.model is InvoiceLine else "contract"
        return request.user.has_perm(f"contracts.view_{parent}")


class ContractLineInline(ReadOnlyInline):
    model = ContractLine
    fields = ["description", "quantity", "unit_price", "discount_percent", "tax_rate"]
    readonly_fields = fields


class ContractEventInline(ReadOnlyInline):
    model = ContractEvent
    fields = ["at", "from_status", "to_status", "actor", "comment"]
    readonly_fields = fields


class SubscriptionInline(ReadOnlyInline):
    model = Subscription
    fields = [
        "product",
        "status",
        "quantity",
        "period_amount",
        "start_on",
        "trial_ends_on",
        "next_billing_on",
    ]
    readonly_fields = fields


class ContractTermInline(ReadOnlyInline):
    model = ContractTerm
    fields = [
        "sequence",
        "kind",
        "start_on",
        "end_on",
        "cancel_by",
        "arr",
        "price_change_percent",
        "business_date",
        "notified_at",
    ]
    readonly_fields = fields


SIGNABLE = (Contract.Status.DRAFT, Contract.Status.SENT)


def _nothing_to_sign(contract) -> str:
    return _("%(n)s is %(status)s: there is nothing to sign.") % {
        "n": contract.number,
        "status": contract.get_status_display().lower(),
    }


EDITABLE_BEFORE_FINALIZE = [
    "trial_days",
    "payment_terms_days",
    "renewal_months",
    "purchase_order_ref",
    "buyer_reference",
]


@admin.register(Contract)
class ContractAdmin(FrozenAdmin):
    frozen_message = gettext_lazy(
        "A finalized contract cannot be changed: cancel it, or correct its invoices "
        "with a credit note."
    )

    def is_frozen(self, obj) -> bool:
        return obj.is_locked

    # short dates, the term in one column: the list fits a laptop's width
    list_display = [
        "number",
        "account",
        "status",
        "term",
        "cancel_by_short",
        "signed_on",
        "finalized_on",
    ]
    list_filter = [WorklistFilter, "status", "auto_renew"]
    search_fields = ["number", "account__name", "account__legal_name"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    inlines = [
        ContractLineInline,
        SubscriptionInline,
        ContractTermInline,
        ContractEventInline,
    ]
    actions = ["finalize_selected", "mark_signed", "cancel_selected"]
    change_form_template = "admin/contracts/contract/change_form.html"

    @admin.display(description=gettext_lazy("term"), ordering="start_on")
    def term(self, obj):
        return f"{show_date(obj.start_on)} – {show_date(obj.end_on)}"

    @admin.display(description=gettext_lazy("cancel by"), ordering="cancel_by")
    def cancel_by_short(self, obj):
        return show_date(obj.cancel_by) if obj.cancel_by else "–"

    @admin.display(description=gettext_lazy("signed"), ordering="signed_at")
    def signed_on(self, obj):
        return show_date(timezone.localdate(obj.signed_at)) if obj.signed_at else "–"

    @admin.display(description=gettext_lazy("finalized"), ordering="finalized_at")
    def finalized_on(self, obj):
        if not obj.finalized_at:
            return "–"
        return show_date(timezone.localdate(obj.finalized_at))

    fieldsets = [
        (
            None,
            {"fields": ["number", "title", "status", "account", "contact", "offer"]},
        ),
        (gettext_lazy("Checks"), {"fields": ["checklist"]}),
        (
            gettext_lazy("Terms"),
            {
                "fields": [
                    "start_on",
                    "end_on",
                    "duration_months",
                    "billing_period",
                    "auto_renew",
                    "renewal_months",
                    "notice_days",
                    "cancel_by",
                    "trial_days",
                    "payment_terms_days",
                    "currency",
                    "language",
                ]
            },
        ),
        (
            gettext_lazy("Invoices"),
            {"fields": ["purchase_order_ref", "buyer_reference"]},
        ),
        (
            gettext_lazy("Signature"),
            {
                "fields": [
                    "document",
                    "pdf_sha256",
                    "signed_via",
                    "signed_at",
                    "signer_name",
                    "signer_title",
                    "signer_ip",
                    "signer_user_agent",
                    "signed_sha256",
                    "signed_scan",
                ]
            },
        ),
        (
            gettext_lazy("Finalization"),
            {
                "fields": [
                    "needs_approval",
                    "approved_by",
                    "finalized_at",
                    "finalized_by",
                    "cancelled_at",
                    "cancel_reason",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "contact")

    def has_add_permission(self, request):
        return False  # contracts come from accepted offers

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = [f for fs in self.fieldsets for f in fs[1]["fields"]]
        if obj is None or obj.is_locked or not self.has_change_permission(request, obj):
            return fields
        return [f for f in fields if f not in EDITABLE_BEFORE_FINALIZE]

    def save_model(self, request, obj, form, change):
        lifecycle.contract_update_terms(
            contract=obj,
            actor=request.user,
            **{f: form.cleaned_data[f] for f in EDITABLE_BEFORE_FINALIZE},
        )

    def save_related(self, request, form, formsets, change):
        pass  # the inlines are read-only

    @admin.display(description=gettext_lazy("Data checks"))
    def checklist(self, obj):
        checks = contract_selectors.contract_checks(obj)
        return format_html(
            '<ul class="contract-checks">{}</ul>',
            format_html_join(
                "",
                '<li class="{}"><strong>{} {}</strong> {}</li>',
                (
                    (
                        "ok" if c.ok else "failed",
                        "✔" if c.ok else "✘",
                        c.name,
                        c.detail,
                    )
                    for c in checks
                ),
            ),
        )

    # --- actions -------------------------------------------------------------

    def _run(self, request, fn, ok_message):
        try:
            fn()
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        self.message_user(request, ok_message, messages.SUCCESS)
        return True

    @admin.action(description=gettext_lazy("Finalize (start subscriptions, invoice)"))
    def finalize_selected(self, request, queryset):
        for contract in queryset.order_by("pk"):
            self._run(
                request,
                lambda c=contract: lifecycle.contract_finalize(
                    contract=c, actor=request.user
                ),
                _("%(number)s finalized.") % {"number": contract.number},
            )

    def _one(self, request, queryset, view):
        if queryset.count() != 1:
            self.message_user(
                request, _("Choose exactly one contract."), messages.WARNING
            )
            return None
        return HttpResponseRedirect(
            reverse(f"admin:contracts_contract_{view}", args=[queryset.get().pk])
        )

    @admin.action(description=gettext_lazy("Mark signed (upload the signed scan)"))
    def mark_signed(self, request, queryset):
        unsignable = queryset.exclude(status__in=SIGNABLE).first()
        if unsignable is not None and queryset.count() == 1:
            self.message_user(request, _nothing_to_sign(unsignable), messages.WARNING)
            return None
        return self._one(request, queryset, "sign")

    @admin.action(description=gettext_lazy("Cancel (with a reason)"))
    def cancel_selected(self, request, queryset):
        return self._one(request, queryset, "cancel")

    # --- pages ---------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/sign/", wrap(self.sign_view), name="contracts_contract_sign"
            ),
            path(
                "<int:pk>/cancel/",
                wrap(self.cancel_view),
                name="contracts_contract_cancel",
            ),
            path(
                "<int:pk>/finalize/",
                wrap(self.finalize_view),
                name="contracts_contract_finalize",
            ),
            *super().get_urls(),
        ]

    def _contract_for_change(self, request, pk):
        contract = get_object_or_404(Contract.objects.select_related("account"), pk=pk)
        if not self.has_change_permission(request, contract):
            raise PermissionDenied
        return contract

    def _form_page(self, request, contract, form, title, button):
        return TemplateResponse(
            request,
            "admin/contracts/contract/action_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": contract,
                "title": title,
                "form": form,
                "button": button,
            },
        )

    def _back(self, contract):
        return HttpResponseRedirect(
            reverse("admin:contracts_contract_change", args=[contract.pk])
        )

    def sign_view(self, request, pk):
        contract = self._contract_for_change(request, pk)
        if contract.status not in SIGNABLE:
            self.message_user(request, _nothing_to_sign(contract), messages.WARNING)
            return self._back(contract)
        form = SignedScanForm(request.POST or None, request.FILES or None)
        if (
            request.method == "POST"
            and form.is_valid()
            and run_service(
                form,
                contract_signing.contract_mark_signed,
                contract=contract,
                actor=request.user,
                signer_name=form.cleaned_data["signer_name"],
                uploaded_file=form.cleaned_data["scan"],
            )
        ):
            self.message_user(
                request, _("%(n)s marked signed.") % {"n": contract.number}
            )
            return self._back(contract)
        return self._form_page(
            request,
            contract,
            form,
            _("Mark %(n)s signed") % {"n": contract.number},
            _("File the scan and mark signed"),
        )

    def cancel_view(self, request, pk):
        contract = self._contract_for_change(request, pk)
        form = ReasonForm(request.POST or None)
        if (
            request.method == "POST"
            and form.is_valid()
            and run_service(
                form,
                lifecycle.contract_cancel,
                contract=contract,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        ):
            self.message_user(request, _("%(n)s cancelled.") % {"n": contract.number})
            return self._back(contract)
        return self._form_page(
            request,
            contract,
            form,
            _("Cancel %(n)s") % {"n": contract.number},
            _("Cancel the contract"),
        )

    def finalize_view(self, request, pk):
        contract = self._contract_for_change(request, pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: lifecycle.contract_finalize(
                    contract=contract, actor=request.user
                ),
                _("%(number)s finalized.") % {"number": contract.number},
            )
            return self._back(contract)
        page = self._form_page(
            request,
            contract,
            forms.Form(),
            _("Finalize %(n)s") % {"n": contract.number},
            _("Finalize: start subscriptions and invoice"),
        )
        page.context_data["checks"] = contract_selectors.contract_checks(contract)
        return page


def _party_lines(party: dict | None):
    if not party:
        return "–"
    return format_html_join(
        "", "<div>{}: {}</div>", ((k, v) for k, v in party.items() if v)
    )


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = [
        "description",
        "period_start",
        "period_end",
        "quantity",
        "unit_code",
        "net",
        "tax_rate",
        "tax_category",
    ]
    readonly_fields = fields


class OpenFilter(admin.SimpleListFilter):
    title = gettext_lazy("open")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open (unpaid)")), ("overdue", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=Invoice.OPEN)
        if self.value() == "overdue":
            return queryset.filter(status=Invoice.Status.OVERDUE)
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(FrozenAdmin):
    """Invoices are immutable: nothing here is editable; status moves by action."""

    frozen_message = gettext_lazy(
        "An issued invoice cannot be changed: correct it with a credit note."
    )

    list_display = [
        "number",
        "kind",
        "account",
        "issued_on",
        "due_on",
        "gross",
        "currency",
        "status",
    ]
    list_filter = [OpenFilter, "status", "kind", "series", "year"]
    search_fields = ["number", "account__name", "contract__number"]
    list_select_related = ["account"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline]
    actions = ["mark_paid", "credit_selected"]

    def get_readonly_fields(self, request, obj=None):
        shown_first = ("id", "parties", "einvoice_error")
        fields = [f.name for f in Invoice._meta.fields if f.name not in shown_first]
        return ["files", "einvoice_error", *fields, "seller", "buyer"]

    @admin.display(description=gettext_lazy("Files"))
    def files(self, obj):
        """The PDF and the e-invoice XML (as sent, or as they would be sent: a
        file that does not validate answers with the reasons)."""
        links = [(reverse("contracts:invoice-pdf", args=[obj.pk]), "PDF")]
        if obj.einvoice_format != EInvoiceFormat.PDF:
            links.append((reverse("contracts:invoice-xml", args=[obj.pk]), "XML"))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description=gettext_lazy("seller as issued"))
    def seller(self, obj):
        return _party_lines(obj.parties.get("seller"))

    @admin.display(description=gettext_lazy("buyer as issued"))
    def buyer(self, obj):
        return _party_lines(obj.parties.get("buyer"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        pass  # immutable

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description=gettext_lazy("Mark paid (today)"))
    def mark_paid(self, request, queryset):
        for invoice in queryset.order_by("pk"):
            try:
                billing.invoice_mark_paid(invoice=invoice, actor=request.user)
            except ApplicationError as exc:
                self.message_user(
                    request, f"{invoice.number}: {exc.message}", messages.ERROR
                )
            else:
                self.message_user(
                    request, _("%(n)s marked paid.") % {"n": invoice.number}
                )

    @admin.action(description=gettext_lazy("Cancel with a credit note"))
    def credit_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Choose exactly one invoice."), messages.WARNING
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:contracts_invoice_credit", args=[queryset.get().pk])
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/credit/",
                self.admin_site.admin_view(self.credit_view),
                name="contracts_invoice_credit",
            ),
            *super().get_urls(),
        ]

    def credit_view(self, request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        if not self.has_change_permission(request, invoice):
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            credit = run_service(
                form,
                billing.invoice_credit,
                invoice=invoice,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            if credit:
                self.message_user(
                    request,
                    _("%(n)s cancelled by credit note %(c)s.")
                    % {"n": invoice.number, "c": credit.number},
                )
                return HttpResponseRedirect(
                    reverse("admin:contracts_invoice_change", args=[credit.pk])
                )
        return TemplateResponse(
            request,
            "admin/contracts/contract/action_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": invoice,
                "title": _("Credit note for %(n)s") % {"n": invoice.number},
                "form": form,
                "button": _("Issue the credit note"),
            },
        )


@admin.register(Subscription)
class SubscriptionAdmin(FrozenAdmin):
    frozen_message = gettext_lazy("A subscription changes through its contract.")

    list_display = [
        "product",
        "account",
        "contract",
        "status",
        "quantity",
        "period_amount",
        "next_billing_on",
        "trial_ends_on",
    ]
    list_filter = ["status", "billing_period"]
    search_fields = ["account__name", "contract__number", "product__name"]
    list_select_related = ["account", "contract", "product"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Subscription._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        pass  # subscriptions change through their contract's services
