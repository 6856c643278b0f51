"""The upsell report: whitespace, recommendations, headroom, trials, renewals."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import Contact
from catalog.models import Product, ProductFamily, ProductPrice, money
from catalog.selectors import exchange_rates, to_base
from contracts.models import Contract, Subscription
from insights.filters import Scope
from insights.models import FamilyAffinity, VolumeBenchmark
from insights.selectors.ownership import OWNED, TRIAL, family_ownership
from kam.core.bulk import id_list

ZERO = Decimal("0")
ENDING_DAYS = 180
MIN_LIFT = Decimal("1")
MIN_BOTH = 2
# the buying-center roles an offer is best addressed to, best first
CONTACT_ORDER = ["decision_maker", "champion", "purchasing", "management"]


def plain(value: Decimal) -> str:
    """A quantity or ratio without trailing zeros and never in exponent form."""
    return format(value.normalize(), "f")


def amount(value: Decimal) -> str:
    return number_format(value, 0, use_l10n=True, force_grouping=True)


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
        return reverse("accounts:detail", args=[self.pk])


@dataclass
class Row:
    """One line of a report section; `offer` is what the one-click button posts."""

    account: AccountRow
    title: str
    reason: str
    value: Decimal
    product: Product | None = None
    quantity: Decimal | None = None
    contact_id: int | None = None


def _lead_products(currencies: set[str]) -> dict[tuple[int, str], Product]:
    """The product an offer for a family starts with: the first active one priced."""
    lead = {}
    for price in (
        ProductPrice.objects.filter(product__is_active=True, currency__in=currencies)
        .select_related("product")
        .order_by("product__family_id", "product__code")
    ):
        lead.setdefault((price.product.family_id, price.currency), price.product)
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


def upsell_report(scope: Scope, *, today: date) -> dict:
    """Everything the upsell page and its export show, in a fixed number of queries."""
    owners = {}
    accounts = []
    for row in (
        scope.accounts.select_related(None)
        .order_by("-is_key_account", "-revenue_12m", "name", "pk")
        .values_list(
            "pk", "name", "industry", "tier", "currency", "is_key_account",
            "revenue_12m", "revenue_potential", "owner__username",
            "owner__first_name", "owner__last_name",
        )
    ):  # fmt: skip
        owner = owners.setdefault(row[8], Owner(*row[8:]))
        accounts.append(AccountRow(*row[:8], owner=owner))
    # one array parameter, not one parameter per account
    ids = id_list([a.pk for a in accounts])
    by_id = {a.pk: a for a in accounts}
    families = list(ProductFamily.objects.order_by("name"))
    ownership = family_ownership(ids, today=today)
    rates = exchange_rates()
    lead = _lead_products({a.currency for a in accounts})
    contacts = _offer_contacts(ids)

    matrix = [
        {
            "account": a,
            "cells": [ownership.of(a.pk).get(f.pk, "") for f in families],
            "owned": len(ownership.owned(a.pk)),
        }
        for a in accounts
    ]

    # "accounts like this also buy X": the strongest rule from a family owned
    segments = {(a.industry, a.tier) for a in accounts if a.industry and a.tier}
    # the industry-and-tier segments of these accounts, as one filter
    in_segments = Q(pk__in=[])
    for industry, tier in segments:
        in_segments |= Q(industry=industry, tier=tier)
    rules = defaultdict(list)
    if segments:
        for rule in FamilyAffinity.objects.filter(
            in_segments, lift__gt=MIN_LIFT, both_count__gte=MIN_BOTH
        ).select_related("antecedent", "consequent"):
            rules[(rule.industry, rule.tier, rule.antecedent_id)].append(rule)
    names = {f.pk: f for f in families}
    because = _(
        "%(conf)s %% of %(industry)s · %(tier)s accounts with %(have)s also have "
        "%(want)s (support %(support)s %%, lift %(lift)s)"
    )
    recommendations = []
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
            recommendations.append(
                Row(
                    account=a,
                    title=names[family_id].name,
                    reason=because
                    % {
                        "conf": round(rule.confidence * 100),
                        "industry": a.industry,
                        "tier": a.tier,
                        "have": rule.antecedent.name,
                        "want": rule.consequent.name,
                        "support": round(rule.support * 100),
                        "lift": plain(rule.lift),
                    },
                    value=rule.typical_arr,
                    product=lead.get((family_id, a.currency)),
                    quantity=Decimal(1),
                    contact_id=contacts.get(a.pk),
                )
            )
    recommendations.sort(key=lambda r: (-r.value, r.account.name, r.title))

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
        .order_by("trial_ends_on", "pk")
        .values_list(
            "account_id", "product_id", "quantity", "mrr", "currency", "trial_ends_on"
        )
    )
    products = Product.objects.in_bulk(
        {s[1] for s in subs} | {s[1] for s in trial_subs}
    )
    benchmarks = {}
    if segments:
        benchmarks = {
            (b.industry, b.tier, b.product_id): b
            for b in VolumeBenchmark.objects.filter(
                in_segments, product_id__in=list(products)
            )
        }
    held = defaultdict(lambda: [ZERO, ZERO])  # (account, product) -> quantity, arr
    for account_id, product_id, quantity, mrr, currency in subs:
        entry = held[(account_id, product_id)]
        entry[0] += quantity
        entry[1] += to_base(mrr * 12, currency, rates)
    holds = _(
        "Holds %(qty)s; the median of %(n)d %(industry)s · %(tier)s accounts is "
        "%(median)s"
    )
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
                title=products[product_id].name,
                reason=holds
                % {
                    "qty": plain(quantity),
                    "n": bench.holders,
                    "industry": a.industry,
                    "tier": a.tier,
                    "median": plain(bench.median_quantity),
                },
                value=money(arr / quantity * more),
                product=products[product_id],
                quantity=more,
                contact_id=contacts.get(account_id),
            )
        )
    arr_by_account = defaultdict(Decimal)
    for (account_id, _p), (_q, arr) in held.items():
        arr_by_account[account_id] += arr
    wallet = []
    spends = _("Spends %(spend)s of a potential %(potential)s EUR a year")
    wallet_title = _("Share of wallet")
    for a in accounts:
        spend = max(a.revenue_12m, arr_by_account.get(a.pk, ZERO))
        gap = a.revenue_potential - spend
        if a.revenue_potential and gap > 0:
            wallet.append(
                Row(
                    account=a,
                    title=wallet_title,
                    reason=spends
                    % {
                        "spend": amount(spend),
                        "potential": amount(a.revenue_potential),
                    },
                    value=money(gap),
                    contact_id=contacts.get(a.pk),
                )
            )
    headroom.sort(key=lambda r: (-r.value, r.account.name))
    wallet.sort(key=lambda r: (-r.value, r.account.name))

    ends = _("Trial ends on %(date)s")
    trials = [
        Row(
            account=by_id[account_id],
            title=products[product_id].name,
            reason=ends % {"date": ends_on.isoformat()},
            value=money(to_base(mrr * 12, currency, rates)),
            product=products[product_id],
            quantity=quantity,
            contact_id=contacts.get(account_id),
        )
        for account_id, product_id, quantity, mrr, currency, ends_on in trial_subs
    ]

    room = defaultdict(Decimal)
    for r in recommendations + headroom:
        room[r.account.pk] += r.value
    ending = []
    renewal_room = _("Ends on %(date)s; upsell room with the renewal")
    for c in (
        Contract.objects.filter(
            account_id__in=ids,
            status__in=Contract.RUNNING,
            end_on__gte=today,
            end_on__lte=today + timedelta(days=ENDING_DAYS),
        )
        .order_by("end_on", "pk")
        .only("pk", "number", "title", "end_on", "auto_renew", "account_id")
    ):
        if not room.get(c.account_id):
            continue
        ending.append(
            Row(
                account=by_id[c.account_id],
                title=f"{c.number} {c.title}",
                reason=renewal_room % {"date": c.end_on.isoformat()},
                value=money(room[c.account_id]),
                contact_id=contacts.get(c.account_id),
            )
        )
    sections = {
        "recommendations": recommendations,
        "headroom": headroom,
        "wallet": wallet,
        "trials": trials,
        "ending": ending,
    }
    totals = {
        name: sum((r.value for r in rows), ZERO) for name, rows in sections.items()
    }
    return {
        "families": families,
        "matrix": matrix,
        **sections,
        "totals": totals,
        # contracts ending repeat the room counted above, and the unused wallet
        # overlaps it: neither is added to the total
        "total": totals["recommendations"] + totals["headroom"] + totals["trials"],
        "owned": OWNED,
        "trial": TRIAL,
    }
