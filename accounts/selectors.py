"""Reads of the accounts app; every one applies the access rule."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import versions
from accounts.models import Account, Contact, Document, OrderLine, Task, TimelineEntry
from catalog.models import Product
from catalog.pricing import round_money
from catalog.selectors import exchange_rates
from core.access import get_visible_or_404, visible_to

ZERO = Decimal("0")


def account_list_for_user(*, user) -> QuerySet[Account]:
    """Return the accounts `user` may see, with owner and deputy loaded."""
    return visible_to(
        Account.objects.select_related("owner", "owner__team", "deputy"), user
    )


# what a row of the account table (jinja2/accounts/_account_rows.html) and the list's
# CSV show
ROW_FIELDS = (
    "name", "industry", "country", "tier", "is_key_account", "revenue_12m",
    "revenue_prev_12m", "last_touch_at", "external_ref", "lifecycle", "service_path",
    "owner__username", "owner__first_name", "owner__last_name",
    "deputy__username", "deputy__first_name", "deputy__last_name",
)  # fmt: skip


def account_rows_for_user(*, user) -> QuerySet[Account]:
    """Accounts for lists: the row's columns, with the number of open and overdue
    tasks. The counts are subqueries, so PostgreSQL counts only the rows of the page
    (a join grouped by every column counted all of a KAM's accounts first)."""
    now = timezone.now()
    open_tasks = Task.objects.filter(account=OuterRef("pk"), done_at__isnull=True)

    def counted(tasks):
        return Coalesce(
            Subquery(
                tasks.order_by().values("account").annotate(n=Count("*")).values("n")
            ),
            0,
        )

    return visible_to(
        Account.objects.select_related("owner", "deputy").only(*ROW_FIELDS), user
    ).annotate(
        open_tasks=counted(open_tasks),
        overdue_tasks=counted(open_tasks.filter(due_at__lt=now)),
    )


def account_get_for_user(*, user, pk) -> Account:
    """Fetch one account `user` may see, or raise 404."""
    return get_visible_or_404(
        Account.objects.select_related("owner", "owner__team", "deputy", "parent"),
        user,
        pk=pk,
    )


def contact_list_for_user(*, user) -> QuerySet[Contact]:
    return visible_to(Contact.objects.select_related("account", "reports_to"), user)


def document_list_for_user(*, user) -> QuerySet[Document]:
    return visible_to(Document.objects.select_related("account", "uploaded_by"), user)


def assignable_users(*, user) -> QuerySet:
    """Who `user` may give a task without an account: themselves, their team, its
    manager, the teams they lead, and customer services (administrators: anyone).
    A task about an account goes to whoever sees the account (tasks._validate)."""
    from core.models import User
    from core.roles import Role

    active = User.objects.filter(is_active=True)
    if user.has_role(Role.ADMINISTRATOR):
        return active
    near = Q(pk=user.pk) | Q(groups__name=Role.CUSTOMER_SERVICES)
    near |= Q(team__manager=user)
    if user.team_id:
        near |= Q(team_id=user.team_id) | Q(managed_teams__id=user.team_id)
    return active.filter(near).distinct()


def task_list_for_user(*, user) -> QuerySet[Task]:
    return visible_to(Task.objects.select_related("account", "assignee"), user)


def order_lines_for_user(*, user) -> QuerySet[OrderLine]:
    return visible_to(OrderLine.objects.select_related("account", "product"), user)


def timeline_for_account(*, account: Account) -> QuerySet[TimelineEntry]:
    """The account's timeline, newest first, with everything a row shows."""
    return (
        TimelineEntry.objects.filter(account=account)
        .select_related("actor", "touchpoint", "document", "message")
        .prefetch_related(
            Prefetch(
                "touchpoint__contacts",
                queryset=Contact.objects.only("first_name", "last_name"),
            )
        )
        .order_by("-occurred_at", "-pk")
    )


@dataclass
class OrderSituation:
    currency: str
    months: list[date]
    monthly: list[Decimal]
    revenue_12m: Decimal
    revenue_prev_12m: Decimal
    by_family: list[tuple[str, Decimal]] = field(default_factory=list)
    recent_lines: list[OrderLine] = field(default_factory=list)
    group_revenue_12m: Decimal | None = None

    @property
    def trend_percent(self) -> Decimal | None:
        if not self.revenue_prev_12m:
            return None
        change = (
            (self.revenue_12m - self.revenue_prev_12m) / self.revenue_prev_12m * 100
        )
        return change.quantize(Decimal("0.1"))


def convert(amount, currency, target, rates) -> Decimal:
    """Convert an amount between currencies through the EUR rates."""
    if currency == target:
        return amount
    return amount * rates.get(currency, Decimal(1)) / rates.get(target, Decimal(1))


def order_situation(*, account: Account, today: date | None = None) -> OrderSituation:
    """Revenue of the last 24 months by month and of the last 12 by product family."""
    today = today or timezone.localdate()
    first_month = today.replace(day=1) - relativedelta(months=23)
    start_12m = today - relativedelta(years=1) + relativedelta(days=1)
    start_24m = start_12m - relativedelta(years=1)
    rates = exchange_rates()
    target = account.currency
    lines = OrderLine.objects.filter(account=account)
    months = [first_month + relativedelta(months=i) for i in range(24)]
    # one pass over the account's lines of the last 24 months (and the months'),
    # summed per day, currency and family; each sum converted per currency as a
    # grouped query would give it
    monthly_by: dict[tuple, Decimal] = {}
    windows: dict[tuple, Decimal] = {}
    families_by: dict[tuple, Decimal] = {}
    for row in (
        lines.filter(ordered_on__gte=min(first_month, start_24m))
        .values_list("ordered_on", "currency", "product__family__name")
        .annotate(total=Sum("net_amount"))
        .order_by()
    ):
        day, currency, family, total = row
        if day >= first_month:
            key = (day.replace(day=1), currency)
            monthly_by[key] = monthly_by.get(key, ZERO) + total
        if start_24m <= day <= today:
            key = ("cur" if day >= start_12m else "prev", currency)
            windows[key] = windows.get(key, ZERO) + total
        if start_12m <= day <= today:
            families_by[family, currency] = families_by.get((family, currency), ZERO)
            families_by[family, currency] += total
    monthly = dict.fromkeys(months, ZERO)
    for (month, currency), total in monthly_by.items():
        monthly[month] = monthly.get(month, ZERO) + convert(
            total, currency, target, rates
        )
    cur, prev = (
        sum(
            (convert(t, c, target, rates) for (w, c), t in windows.items() if w == k),
            ZERO,
        )
        for k in ("cur", "prev")
    )
    families: dict[str, Decimal] = {}
    for (name, currency), total in families_by.items():
        families[name] = families.get(name, ZERO) + convert(
            total, currency, target, rates
        )
    group = Account.objects.filter(pk__in=_group_ids(account)).aggregate(
        s=Sum("revenue_12m"), n=Count("pk")
    )
    group = group["s"] if group["n"] > 1 else None
    return OrderSituation(
        currency=target,
        months=months,
        monthly=[round_money(monthly[m]) for m in months],
        revenue_12m=round_money(cur),
        revenue_prev_12m=round_money(prev),
        by_family=sorted(
            ((k, round_money(v)) for k, v in families.items()), key=lambda kv: -kv[1]
        ),
        recent_lines=list(lines.select_related("product")[:10]),
        group_revenue_12m=group,
    )


GROUP_DEPTH = 6


def group_versions(*, account: Account) -> tuple:
    """A stamp of the account's corporate group (it and the companies below it,
    accounts.versions.stamp): any write concerning one of them, or a company
    joining or leaving, changes it."""
    group = Account.objects.filter(pk__in=_group_ids(account))
    return tuple(group.aggregate(**versions.stamp("")).values())


def _group_ids(account: Account) -> RawSQL:
    """The ids of the account and everything up to GROUP_DEPTH levels below it, as a
    subquery walking the parent index (PostgreSQL and SQLite): ORing parent__parent…
    lookups joined the whole table six times (25 ms on 50,000 accounts; this: 0.1)."""
    table = Account._meta.db_table
    return RawSQL(  # noqa: S611 (the table name is the model's; values are parameters)
        f"WITH RECURSIVE tree(id, depth) AS (SELECT id, 0 FROM {table} WHERE id = %s "  # noqa: S608
        f"UNION ALL SELECT a.id, tree.depth + 1 FROM {table} a JOIN tree "
        "ON a.parent_id = tree.id WHERE tree.depth < %s) SELECT id FROM tree",
        [account.pk, GROUP_DEPTH],
    )


ATTITUDE_COLOURS = {"supporter": "#2f7d6d", "neutral": "#8a94a6", "critic": "#c24b4b"}


def relationship_map(contacts: list[Contact]) -> dict:
    """Lay out the buying center as an org chart: a tidy tree drawn from reports-to."""
    by_id = {c.pk: c for c in contacts}
    children: dict[int | None, list[Contact]] = {}
    for c in contacts:
        boss = c.reports_to_id if c.reports_to_id in by_id else None
        children.setdefault(boss, []).append(c)
    for kids in children.values():
        kids.sort(key=lambda c: (-c.influence, c.last_name))
    slot_w, level_h = 190, 110
    positions: dict[int, tuple[float, int]] = {}
    next_x = [0.0]

    def place(contact: Contact, depth: int, trail: frozenset) -> float:
        kids = [k for k in children.get(contact.pk, []) if k.pk not in trail]
        if not kids:
            x = next_x[0]
            next_x[0] += 1
        else:
            xs = [place(k, depth + 1, trail | {contact.pk}) for k in kids]
            x = (xs[0] + xs[-1]) / 2
        positions[contact.pk] = (x, depth)
        return x

    for root in children.get(None, []):
        place(root, 0, frozenset())
    nodes, edges = [], []
    depth_max = max((d for _x, d in positions.values()), default=0)
    for c in contacts:
        if c.pk not in positions:
            continue
        x, depth = positions[c.pk]
        w = 110 + 12 * c.influence
        h = 40 + 4 * c.influence
        cx, cy = 20 + x * slot_w + slot_w / 2, 20 + depth * level_h + 35
        nodes.append(
            {
                "contact": c,
                "x": round(cx - w / 2),
                "y": round(cy - h / 2),
                "w": w,
                "h": h,
                "cx": round(cx),
                "name_y": round(cy - 2),
                "role_y": round(cy + 12),
                "colour": ATTITUDE_COLOURS.get(c.attitude, "#8a94a6"),
            }
        )
        boss = c.reports_to_id
        if boss in positions:
            bx, bdepth = positions[boss]
            bcx, bcy = 20 + bx * slot_w + slot_w / 2, 20 + bdepth * level_h + 35
            edges.append(
                {
                    "x1": round(bcx),
                    "y1": round(bcy),
                    "x2": round(cx),
                    "y2": round(cy),
                    "ym": round((bcy + cy) / 2),
                }
            )
    return {
        "nodes": nodes,
        "edges": edges,
        "width": round(40 + max(next_x[0], 1) * slot_w),
        "height": 40 + (depth_max + 1) * level_h,
    }


def segment_buyers(*, industry: str, tier: str, since: date) -> tuple[int, dict]:
    """(accounts in the segment, {product id: accounts that bought it since `since`}),
    kept in the cache for KAM_SEGMENT_CACHE_SECONDS: every account 360 of a segment
    shares it, and computing it reads every order line of thousands of accounts."""
    key = f"kam:segment-buyers:{industry}:{tier}:{since.isoformat()}"
    found = cache.get(key)
    if found is None:
        peers = Account.objects.filter(industry=industry, tier=tier)
        found = (
            peers.count(),
            dict(
                OrderLine.objects.filter(account__in=peers, ordered_on__gte=since)
                .values("product_id")
                .annotate(buyers=Count("account", distinct=True))
                .values_list("product_id", "buyers")
            ),
        )
        cache.set(key, found, settings.KAM_SEGMENT_CACHE_SECONDS)
    return found


def upsell_for_account(*, account: Account, limit: int = 5) -> list[dict]:
    """Products this account does not buy that peers (same industry and tier) buy."""
    since = timezone.localdate() - timedelta(days=365)
    owned = set(
        OrderLine.objects.filter(account=account, ordered_on__gte=since).values_list(
            "product_id", flat=True
        )
    )
    segment_size, buyers = segment_buyers(
        industry=account.industry, tier=account.tier, since=since
    )
    # the account is one of its segment; it bought only products in `owned`, which
    # are left out below, so the segment's counts are its peers' counts
    peer_total = segment_size - 1
    if peer_total <= 0:
        return []
    rows = sorted(
        ({"product_id": p, "buyers": n} for p, n in buyers.items() if p not in owned),
        key=lambda r: (-r["buyers"], r["product_id"]),
    )[:limit]
    products = Product.objects.in_bulk([r["product_id"] for r in rows])
    return [
        {
            "product": products[r["product_id"]],
            "buyers": r["buyers"],
            "peers": peer_total,
            "share": round(100 * r["buyers"] / peer_total),
        }
        for r in rows
        if r["product_id"] in products and products[r["product_id"]].is_active
    ]
