import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Account
        fields = ["q", "country"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(industry__icontains=value))
