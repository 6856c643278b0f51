"""Reads of the offers app; every one applies the access rule."""

from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Account, OrderLine
from catalog.models import Product
from kam.core.access import get_visible_or_404, visible_to
from offers.models import Offer, OfferLine


def offer_list_for_user(*, user) -> QuerySet[Offer]:
    return visible_to(
        Offer.objects.select_related(
            "account", "account__owner", "contact", "created_by"
        ),
        user,
    )


def offer_get_for_user(*, user, pk) -> Offer:
    """Fetch one offer with options, lines, products and events, or 404."""
    lines = OfferLine.objects.select_related("product", "package_version__package")
    qs = Offer.objects.select_related(
        "account",
        "account__owner",
        "account__owner__team",
        "contact",
        "created_by",
        "approved_by",
        "accepted_option",
        "message",
        "document",
        "previous",
    ).prefetch_related(Prefetch("options__lines", queryset=lines), "events__actor")
    return get_visible_or_404(qs, user, pk=pk)


def approval_queue_for_user(*, user) -> QuerySet[Offer]:
    """Pending offers the user may decide: their teams' (administrators: all)."""
    qs = offer_list_for_user(user=user).filter(status=Offer.Status.PENDING_APPROVAL)
    if not user.role_names & {"Administrator"}:
        qs = qs.filter(account__owner__team__manager=user).exclude(created_by=user)
    return qs.order_by("updated_at")


def upsell_for_account(*, account: Account, limit: int = 5) -> list[dict]:
    """Products this account does not buy that peers (same industry and tier) buy."""
    since = timezone.localdate() - timedelta(days=365)
    owned = set(
        OrderLine.objects.filter(account=account, ordered_on__gte=since).values_list(
            "product_id", flat=True
        )
    )
    peers = Account.objects.filter(
        industry=account.industry, tier=account.tier
    ).exclude(pk=account.pk)
    peer_total = peers.count()
    if not peer_total:
        return []
    rows = (
        OrderLine.objects.filter(account__in=peers, ordered_on__gte=since)
        .exclude(product_id__in=owned)
        .values("product_id")
        .annotate(buyers=Count("account", distinct=True))
        .order_by("-buyers", "product_id")[:limit]
    )
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


def offer_counts(qs) -> dict:
    return qs.aggregate(
        open=Count("pk", filter=Q(status__in=Offer.OPEN)),
        pending=Count("pk", filter=Q(status=Offer.Status.PENDING_APPROVAL)),
    )
