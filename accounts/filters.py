import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    mine = django_filters.BooleanFilter(label=_("Only mine"), method="only_mine")

    class Meta:
        model = Account
        fields = ["q", "country", "mine"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(industry__icontains=value))

    def only_mine(self, queryset, name, value):
        if value:
            user = self.request.user
            return queryset.filter(Q(owner=user) | Q(deputy=user))
        return queryset
