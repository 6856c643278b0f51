"""The upsell report: whitespace, recommendations, headroom, trials, renewals.

A team's or a KAM's report is computed live. The company-wide report (more than
`KAM_UPSELL_LIVE_LIMIT` accounts) reads its rows from `UpsellItem`, which the nightly
recompute writes with the same computation (`upsell_sections`).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy

from accounts.models import Contact
from catalog.models import Product, ProductFamily, ProductPrice
from catalog.pricing import round_money
from catalog.selectors import exchange_rates, to_base
from contracts.models import Contract, Subscription
from core.bulk import id_list
from core.links import object_url
from insights.filters import Scope
from insights.models import FamilyAffinity, UpsellItem, VolumeBenchmark
from insights.selectors.ownership import OWNED, TRIAL, Ownership, family_ownership

ZERO = Decimal("0")
ENDING_DAYS = 180
MIN_LIFT = Decimal("1")
MIN_BOTH = 2
# the buying-center roles an offer is best addressed to, best first
CONTACT_ORDER = ["decision_maker", "champion", "purchasing", "management"]

Kind = UpsellItem.Kind
KINDS = [kind.value for kind in Kind]
DATED = {Kind.TRIAL, Kind.ENDING}  # listed by date; the others by value
# the sections that add up to the report's total (ending and wallet overlap them)
COUNTED = (Kind.RECOMMENDATION, Kind.HEADROOM, Kind.TRIAL)
REASONS = {
    Kind.RECOMMENDATION: gettext_lazy(
        "%(conf)s %% of %(industry)s · %(tier)s accounts with %(have)s also have "
        "%(want)s (support %(support)s %%, lift %(lift)s)"
    ),
    Kind.HEADROOM: gettext_lazy(
        "Holds %(qty)s; the median of %(n)d %(industry)s · %(tier)s accounts is "
        "%(median)s"
    ),
    Kind.WALLET: gettext_lazy(
        "Spends %(spend)s of a potential %(potential)s EUR a year"
    ),
    Kind.TRIAL: gettext_lazy("Trial ends on %(date)s"),
    Kind.ENDING: gettext_lazy("Ends on %(date)s; upsell room with the renewal"),
}
WALLET_TITLE = gettext_lazy("Share of wallet")
ACCOUNT_FIELDS = (
    "pk", "name", "industry", "tier", "currency", "is_key_account", "revenue_12m",
    "revenue_potential", "owner__username", "owner__first_name", "owner__last_name",
)  # fmt: skip
ITEM_FIELDS = ("kind", "title", "args", "value", "product_id", "quantity",
               "contact_id", "due_on")  # fmt: skip


def plain(value: Decimal) -> str:
    """A quantity or ratio without trailing zeros and never in exponent form."""
    return format(value.normalize(), "f")


def amount(value: Decimal) -> str:
    return number_format(value, 0, use_l10n=True, force_grouping=True)


def reason_text(kind: str, args: dict) -> str:
    """Why a row is there, in the reader's language."""
    if kind == Kind.WALLET:
        args = {key: amount(Decimal(value)) for key, value in args.items()}
    return REASONS[kind] % args


@dataclass(frozen=True)
class Owner:
    username: str
    first_name: str
    last_name: str

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self):
        return self.get_full_name() or self.username


@dataclass(frozen=True)
class AccountRow:
    """What the report shows of an account (no model instance: thousands of rows)."""

    pk: int
    name: str
    industry: str
    tier: str
    currency: str
    is_key_account: bool
    revenue_12m: Decimal
    revenue_potential: Decimal
    owner: Owner

    def get_absolute_url(self) -> str:
        return object_url("accounts:detail", self.pk)

    @property
    def offer_url(self) -> str:
        return object_url("offers:create", self.pk)


@dataclass
class Row:
    """One line of a report section; product, quantity and contact start the offer."""

    account: AccountRow
    kind: str
    title: str
    args: dict
    value: Decimal
    product_id: int | None = None
    quantity: Decimal | None = None
    contact_id: int | None = None
    due_on: date | None = None

    @property
    def reason(self) -> str:
        return reason_text(self.kind, self.args)


class _Accounts:
    """Builds AccountRows from value rows, sharing one Owner per KAM."""

    def __init__(self):
        self.owners = {}

    def row(self, values) -> AccountRow:
        owner = self.owners.setdefault(values[8], Owner(*values[8:]))
        return AccountRow(*values[:8], owner=owner)


def account_rows(accounts, *, limit: int | None = None) -> list[AccountRow]:
    """Accounts as the report lists them: key accounts, then by revenue."""
    build = _Accounts()
    ordered = accounts.select_related(None).order_by(
        "-is_key_account", "-revenue_12m", "name", "pk"
    )
    if limit is not None:
        ordered = ordered[:limit]
    return [build.row(values) for values in ordered.values_list(*ACCOUNT_FIELDS)]


def _lead_products(currencies: set[str]) -> dict[tuple[int, str], int]:
    """The product an offer for a family starts with: the first active one priced."""
    lead = {}
    for family_id, currency, product_id in (
        ProductPrice.objects.filter(product__is_active=True, currency__in=currencies)
        .order_by("product__family_id", "product__code")
        .values_list("product__family_id", "currency", "product_id")
    ):
        lead.setdefault((family_id, currency), product_id)
    return lead


def _offer_contacts(account_ids) -> dict[int, int]:
    """The contact each account's offers go to (decision maker first)."""
    best = {}
    for account_id, pk, role in (
        Contact.objects.filter(account_id__in=account_ids, do_not_contact=False)
        .order_by("account_id", "pk")
        .values_list("account_id", "pk", "role")
    ):
        rank = (
            CONTACT_ORDER.index(role) if role in CONTACT_ORDER else len(CONTACT_ORDER)
        )
        if account_id not in best or rank < best[account_id][0]:
            best[account_id] = (rank, pk)
    return {a: pk for a, (_rank, pk) in best.items()}


def sort_key(row: Row):
    if row.kind in DATED:
        return (row.due_on, row.account.name, row.title)
    return (-row.value, row.account.name, row.title)


def _order(kind: str) -> tuple[str, ...]:
    """The database's ordering of stored rows, as `sort_key` orders live ones."""
    first = "due_on" if kind in DATED else "-value"
    return (first, "account__name", "title", "pk")


def _in_segments(accounts) -> Q | None:
    """The industry-and-tier segments of these accounts, as one filter (None: none)."""
    segments = {(a.industry, a.tier) for a in accounts if a.industry and a.tier}
    if not segments:
        return None
    in_segments = Q(pk__in=[])
    for industry, tier in segments:
        in_segments |= Q(industry=industry, tier=tier)
    return in_segments


def _recommendations(
    accounts, in_segments, ownership, families, lead, contacts
) -> list[Row]:
    """ "Accounts like this also buy X": the strongest rule from a family owned."""
    if in_segments is None:
        return []
    rules = defaultdict(list)
    for rule in FamilyAffinity.objects.filter(
        in_segments, lift__gt=MIN_LIFT, both_count__gte=MIN_BOTH
    ).select_related("antecedent", "consequent"):
        rules[(rule.industry, rule.tier, rule.antecedent_id)].append(rule)
    names = {f.pk: f.name for f in families}
    rows = []
    for a in accounts:
        state = ownership.of(a.pk)
        best = {}
        for family_id in ownership.owned(a.pk):
            for rule in rules.get((a.industry, a.tier, family_id), []):
                if rule.consequent_id in state:
                    continue  # owned or in trial already
                current = best.get(rule.consequent_id)
                if current is None or (rule.lift, rule.confidence) > (
                    current.lift,
                    current.confidence,
                ):
                    best[rule.consequent_id] = rule
        for family_id, rule in best.items():
            rows.append(
                Row(
                    account=a,
                    kind=Kind.RECOMMENDATION,
                    title=names[family_id],
                    args={
                        "conf": round(rule.confidence * 100),
                        "industry": a.industry,
                        "tier": a.tier,
                        "have": rule.antecedent.name,
                        "want": rule.consequent.name,
                        "support": round(rule.support * 100),
                        "lift": plain(rule.lift),
                    },
                    value=rule.typical_arr,
                    product_id=lead.get((family_id, a.currency)),
                    quantity=Decimal(1),
                    contact_id=contacts.get(a.pk),
                )
            )
    return rows


def upsell_sections(
    accounts: list[AccountRow],
    *,
    today: date,
    ownership: Ownership | None = None,
    families: list | None = None,
) -> dict[str, list[Row]]:
    """Every section's rows for these accounts, sorted (a fixed number of queries)."""
    # one array parameter, not one parameter per account
    ids = id_list([a.pk for a in accounts])
    by_id = {a.pk: a for a in accounts}
    if ownership is None:
        ownership = family_ownership(ids, today=today)
    if families is None:
        families = list(ProductFamily.objects.order_by("name"))
    rates = exchange_rates()
    lead = _lead_products({a.currency for a in accounts})
    contacts = _offer_contacts(ids)
    in_segments = _in_segments(accounts)
    recommendations = _recommendations(
        accounts, in_segments, ownership, families, lead, contacts
    )

    # headroom: below the segment's median volume, and below the revenue potential
    subs = list(
        Subscription.objects.filter(
            account_id__in=ids, status=Subscription.Status.ACTIVE
        )
        .order_by()
        .values_list("account_id", "product_id", "quantity", "mrr", "currency")
    )
    trial_subs = list(
        Subscription.objects.filter(
            account_id__in=ids, status=Subscription.Status.TRIAL
        )
        .order_by()
        .values_list(
            "account_id", "product_id", "quantity", "mrr", "currency", "trial_ends_on"
        )
    )
    product_names = dict(
        Product.objects.filter(
            pk__in={s[1] for s in subs} | {s[1] for s in trial_subs}
        ).values_list("pk", "name")
    )
    benchmarks = {}
    if in_segments is not None:
        benchmarks = {
            (b.industry, b.tier, b.product_id): b
            for b in VolumeBenchmark.objects.filter(
                in_segments, product_id__in=list(product_names)
            )
        }
    held = defaultdict(lambda: [ZERO, ZERO])  # (account, product) -> quantity, arr
    for account_id, product_id, quantity, mrr, currency in subs:
        entry = held[(account_id, product_id)]
        entry[0] += quantity
        entry[1] += to_base(mrr * 12, currency, rates)
    headroom = []
    for (account_id, product_id), (quantity, arr) in held.items():
        a = by_id[account_id]
        bench = benchmarks.get((a.industry, a.tier, product_id))
        if not bench or not quantity or quantity >= bench.median_quantity:
            continue
        more = bench.median_quantity - quantity
        headroom.append(
            Row(
                account=a,
                kind=Kind.HEADROOM,
                title=product_names[product_id],
                args={
                    "qty": plain(quantity),
                    "n": bench.holders,
                    "industry": a.industry,
                    "tier": a.tier,
                    "median": plain(bench.median_quantity),
                },
                value=round_money(arr / quantity * more),
                product_id=product_id,
                quantity=more,
                contact_id=contacts.get(account_id),
            )
        )
    arr_by_account = defaultdict(Decimal)
    for (account_id, _p), (_q, arr) in held.items():
        arr_by_account[account_id] += arr
    wallet = []
    for a in accounts:
        spend = max(a.revenue_12m, arr_by_account.get(a.pk, ZERO))
        gap = a.revenue_potential - spend
        if a.revenue_potential and gap > 0:
            wallet.append(
                Row(
                    account=a,
                    kind=Kind.WALLET,
                    title=str(WALLET_TITLE),
                    args={"spend": str(spend), "potential": str(a.revenue_potential)},
                    value=round_money(gap),
                    contact_id=contacts.get(a.pk),
                )
            )
    trials = [
        Row(
            account=by_id[account_id],
            kind=Kind.TRIAL,
            title=product_names[product_id],
            args={"date": ends_on.isoformat()},
            value=round_money(to_base(mrr * 12, currency, rates)),
            product_id=product_id,
            quantity=quantity,
            contact_id=contacts.get(account_id),
            due_on=ends_on,
        )
        for account_id, product_id, quantity, mrr, currency, ends_on in trial_subs
    ]

    room = defaultdict(Decimal)
    for r in recommendations + headroom:
        room[r.account.pk] += r.value
    ending = [
        Row(
            account=by_id[account_id],
            kind=Kind.ENDING,
            title=f"{number} {title}",
            args={"date": end_on.isoformat()},
            value=round_money(room[account_id]),
            contact_id=contacts.get(account_id),
            due_on=end_on,
        )
        for account_id, number, title, end_on in Contract.objects.filter(
            account_id__in=ids,
            status__in=Contract.RUNNING,
            end_on__gte=today,
            end_on__lte=today + timedelta(days=ENDING_DAYS),
        )
        .order_by()
        .values_list("account_id", "number", "title", "end_on")
        if room.get(account_id)
    ]
    sections = {
        Kind.RECOMMENDATION: recommendations,
        Kind.HEADROOM: headroom,
        Kind.WALLET: wallet,
        Kind.TRIAL: trials,
        Kind.ENDING: ending,
    }
    for rows in sections.values():
        rows.sort(key=sort_key)
    return {str(kind): rows for kind, rows in sections.items()}


def _matrix(accounts, families, ownership) -> list[dict]:
    return [
        {
            "account": a,
            "cells": [ownership.of(a.pk).get(f.pk, "") for f in families],
            "owned": len(ownership.owned(a.pk)),
        }
        for a in accounts
    ]


def _live(scope: Scope, *, today: date, limit, matrix_limit) -> dict:
    accounts = account_rows(scope.accounts)
    ownership = family_ownership(id_list([a.pk for a in accounts]), today=today)
    families = list(ProductFamily.objects.order_by("name"))
    sections = upsell_sections(
        accounts, today=today, ownership=ownership, families=families
    )
    family_of = dict(Product.objects.values_list("pk", "family_id"))
    by_family: dict = {}
    for kind in COUNTED:
        for r in sections[kind]:
            key = (family_of.get(r.product_id), kind)
            by_family[key] = by_family.get(key, ZERO) + r.value
    return {
        "families": families,
        "by_family": by_family,
        "matrix": _matrix(accounts[:matrix_limit], families, ownership),
        "matrix_count": len(accounts),
        "counts": {kind: len(rows) for kind, rows in sections.items()},
        "totals": {
            kind: sum((r.value for r in rows), ZERO) for kind, rows in sections.items()
        },
        **{kind: rows[:limit] for kind, rows in sections.items()},
    }


def _stored(scope: Scope, *, today: date, limit, matrix_limit, count, kinds) -> dict:
    """The nightly rows of the scope's accounts: the top of each section and the
    totals in SQL; the whitespace matrix live for the accounts shown."""
    items = UpsellItem.objects.filter(scope.of_accounts())
    counts = dict.fromkeys(KINDS, 0)
    totals = dict.fromkeys(KINDS, ZERO)
    for kind, n, total in (
        items.order_by().values("kind").annotate(n=Count("kind"), total=Sum("value"))
        .values_list("kind", "n", "total")
    ):  # fmt: skip
        counts[kind], totals[kind] = n, total
    build = _Accounts()
    sections = {}
    for kind in KINDS:
        if kind not in kinds:
            sections[kind] = []
            continue
        rows = (
            items.filter(kind=kind)
            .order_by(*_order(kind))[:limit]
            .values_list(*ITEM_FIELDS, *(f"account__{f}" for f in ACCOUNT_FIELDS))
        )
        sections[kind] = [
            Row(build.row(values[len(ITEM_FIELDS) :]), *values[: len(ITEM_FIELDS)])
            for values in rows
        ]
    for row in sections[Kind.WALLET]:
        row.title = str(WALLET_TITLE)  # in the reader's language
    accounts = account_rows(scope.accounts, limit=matrix_limit)
    families = list(ProductFamily.objects.order_by("name"))
    ownership = family_ownership(id_list([a.pk for a in accounts]), today=today)
    by_family = {
        (family_id, kind): total
        for family_id, kind, total in items.filter(kind__in=COUNTED)
        .order_by()
        .values("product__family_id", "kind")
        .annotate(total=Sum("value"))
        .values_list("product__family_id", "kind", "total")
    }
    return {
        "families": families,
        "by_family": by_family,
        "matrix": _matrix(accounts, families, ownership),
        "matrix_count": count,
        "counts": counts,
        "totals": totals,
        **sections,
    }


def upsell_computed_at() -> datetime | None:
    """When the nightly recompute last wrote the upsell rows (None: never)."""
    return UpsellItem.objects.aggregate(at=Max("computed_at"))["at"]


def upsell_report(
    scope: Scope,
    *,
    today: date,
    limit: int | None = None,
    matrix_limit: int | None = None,
    kinds=KINDS,
) -> dict:
    """Everything the upsell page (`limit` rows a section, `matrix_limit` accounts
    in the whitespace) or its export (everything) shows, in a fixed number of
    queries. `as_of` is the time of the nightly rows, or None when computed live.
    Nightly rows are read for the sections in `kinds` only (an export of one
    table); a live report computes every section anyway."""
    count = scope.accounts.count()
    as_of = None
    if count > settings.KAM_UPSELL_LIVE_LIMIT:
        as_of = upsell_computed_at()
    if as_of is None:
        data = _live(scope, today=today, limit=limit, matrix_limit=matrix_limit)
    else:
        data = _stored(
            scope,
            today=today,
            limit=limit,
            matrix_limit=matrix_limit,
            count=count,
            kinds=kinds,
        )
    totals = data["totals"]
    return {
        **data,
        "as_of": as_of,
        # contracts ending repeat the room counted above, and the unused wallet
        # overlaps it: neither is added to the total
        "total": sum((totals[kind] for kind in COUNTED), ZERO),
        "owned": OWNED,
        "trial": TRIAL,
    }
