import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.models import User
from core.widgets import LongSelect


class OrderSelect(LongSelect):
    """The order's select: django-filter's ordering field takes a list of values
    (its own widget splits "a,b"); one select gives a list of one."""

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        return [value] if value else []


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    # a column of the account itself: no join, so no DISTINCT (django-filter's
    # default for this filter), which made the count a subquery over every column
    tier = django_filters.MultipleChoiceFilter(
        label=_("Tier"), choices=Account.Tier.choices, distinct=False
    )
    lifecycle = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=Account.Lifecycle.choices,
        empty_label=_("Any status"),
    )
    is_key_account = django_filters.BooleanFilter(
        label=_("Key accounts only"), method="key_only"
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Key account manager"),
        queryset=User.objects.none(),
        empty_label=_("Anyone"),
    )
    overdue = django_filters.BooleanFilter(
        label=_("With overdue tasks"), method="with_overdue"
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("name", "name"),
            ("revenue_12m", "revenue"),
            ("tier", "tier"),
            ("last_touch_at", "last_touch"),
            ("open_tasks", "open_tasks"),
        ),
        field_labels={
            "name": _("Name"),
            "revenue_12m": _("Revenue"),
            "tier": _("Tier"),
            "last_touch_at": _("Last touch"),
            "open_tasks": _("Open tasks"),
            # django-filter formats "… (descending)" once, at import, in English
            "-name": _("Name (descending)"),
            "-revenue": _("Revenue (descending)"),
            "-tier": _("Tier (descending)"),
            "-last_touch": _("Last touch (descending)"),
            "-open_tasks": _("Open tasks (descending)"),
        },
    )

    class Meta:
        model = Account
        fields = ["q", "tier", "lifecycle", "is_key_account", "owner", "overdue"]

    def __init__(self, *args, owners=None, **kwargs):
        """`owners`: the owner filter's (queryset, choices), choices None where the
        widget is to list the queryset."""
        super().__init__(*args, **kwargs)
        owner_choices = None
        if owners is not None:
            self.filters["owner"].queryset, owner_choices = owners
        for name in ("lifecycle", "owner", "ordering"):
            # Jinja2-rendered options (core.widgets): Django's took a fifth of the list
            field = self.form.fields[name]
            widget = OrderSelect if name == "ordering" else LongSelect
            field.widget = widget(attrs={"class": "form-select"})
            field.widget.choices = field.choices
            if name == "owner" and owner_choices is not None:
                field.widget.choices = [("", field.empty_label), *owner_choices]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(legal_name__icontains=value)
            | Q(industry__icontains=value)
            | Q(city__icontains=value)
            | Q(external_ref__iexact=value)
        )

    def key_only(self, queryset, name, value):
        return queryset.filter(is_key_account=True) if value else queryset

    def with_overdue(self, queryset, name, value):
        return queryset.filter(overdue_tasks__gt=0) if value else queryset
