"""The filter every report shares: team, key account manager and period.

The choices only offer what the user may see: a manager their teams and their
KAMs, a KAM themselves; customer services and administrators everything.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.selectors import account_list_for_user
from core.models import Team, User
from core.roles import Role

MAX_YEARS = 5


def teams_for_user(user) -> QuerySet[Team]:
    teams = Team.objects.order_by("name")
    if user.sees_everything:
        return teams
    if Role.SALES_MANAGER in user.role_names:
        return teams.filter(manager=user)
    return teams.filter(pk=user.team_id) if user.team_id else teams.none()


def kams_for_user(user) -> QuerySet[User]:
    kams = User.objects.filter(
        is_active=True, groups__name=Role.KEY_ACCOUNT_MANAGER
    ).order_by("first_name", "last_name", "username")
    if user.sees_everything:
        return kams
    if Role.SALES_MANAGER in user.role_names:
        return kams.filter(team__manager=user)
    return kams.filter(pk=user.pk)


class ReportFilter(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False
    )
    kam = forms.ModelChoiceField(
        label=_("Key account manager"), queryset=User.objects.none(), required=False
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, default_start: date, default_end: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.default_start, self.default_end = default_start, default_end
        self.fields["team"].queryset = teams_for_user(user)
        self.fields["kam"].queryset = kams_for_user(user)
        self.fields["kam"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        for name in ("start", "end"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def clean(self):
        data = super().clean()
        start = data.get("start") or self.default_start
        end = data.get("end") or self.default_end
        if start > end:
            raise forms.ValidationError(_("The period must start before it ends."))
        if start < end - relativedelta(years=MAX_YEARS):
            raise forms.ValidationError(
                _("Choose a period of at most %(n)d years.") % {"n": MAX_YEARS}
            )
        data["start"], data["end"] = start, end
        return data


@dataclass
class Scope:
    """What a report covers: the visible accounts, narrowed by team and KAM."""

    user: User
    accounts: QuerySet[Account]
    team: Team | None
    kam: User | None
    start: date
    end: date
    form: ReportFilter

    @property
    def querystring(self) -> str:
        """The filter as chosen: a period only when the user set one, so another
        report (tabs) keeps its own default period."""
        params = {}
        if self.form.is_bound and self.form.data.get("start"):
            params["start"] = self.start.isoformat()
        if self.form.is_bound and self.form.data.get("end"):
            params["end"] = self.end.isoformat()
        if self.team:
            params["team"] = self.team.pk
        if self.kam:
            params["kam"] = self.kam.pk
        return urlencode(params)

    @property
    def account_ids(self) -> QuerySet:
        return self.accounts.order_by().values("pk")

    @property
    def is_everything(self) -> bool:
        """The selection is every account: no visibility, team or KAM filter."""
        return not self.accounts.query.where

    def of_accounts(self, path: str = "account") -> Q:
        """Rows whose `path` (a relation to Account) lies in the selection. Nothing
        to check when it is every account, which spares the database a semi-join
        of all accounts (100 ms a report for 50,000)."""
        if self.is_everything:
            return Q()
        return Q(**{f"{path}__in": self.account_ids})


def last_twelve_months(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - relativedelta(years=1) + timedelta(days=1), today


def report_scope(
    *,
    user: User,
    params: Mapping[str, str] | None = None,
    default: tuple[date, date] | None = None,
    today: date | None = None,
) -> Scope:
    """The accounts and period a report covers for `user`, read from `params` (a
    page's query string or an export's stored filter); invalid input keeps the
    defaults (`default`, else the twelve months up to `today`)."""
    start, end = default or last_twelve_months(today)
    form = ReportFilter(
        params or None,
        user=user,
        default_start=start,
        default_end=end,
    )
    team = kam = None
    if form.is_bound and form.is_valid():
        team, kam = form.cleaned_data["team"], form.cleaned_data["kam"]
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    accounts = account_list_for_user(user=user)
    if team:
        accounts = accounts.filter(owner__team=team)
    if kam:
        accounts = accounts.filter(owner=kam)
    return Scope(user, accounts, team, kam, start, end, form)
