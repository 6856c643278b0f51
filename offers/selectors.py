"""Reads of the offers app; every one applies the access rule."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet

from core.access import can_change, get_visible_or_404, visible_to
from offers.models import InboundMail, Offer, OfferLine


def offer_list_for_user(*, user) -> QuerySet[Offer]:
    return visible_to(
        Offer.objects.select_related(
            "account", "account__owner", "contact", "created_by"
        ),
        user,
    )


def offer_get_for_user(*, user, pk, whole: bool = True) -> Offer:
    """Fetch one offer with options, lines, products and events, or 404; `whole`
    False: the offer and its account only, for a change whose answer reads the
    rest again."""
    if not whole:
        return get_visible_or_404(Offer.objects.select_related("account"), user, pk=pk)
    lines = OfferLine.objects.select_related("product", "package_version__package")
    # What every offer has is joined; what only some have (a previous revision, an
    # approver, the sent e-mail and PDF, the accepted option) is read when present:
    # each join cost about 1.5 ms to plan and build, an unset one costs nothing.
    qs = Offer.objects.select_related(
        "account", "account__owner", "account__owner__team", "contact", "created_by"
    ).prefetch_related(Prefetch("options__lines", queryset=lines), "events__actor")
    return get_visible_or_404(qs, user, pk=pk)


def approval_queue_for_user(*, user) -> QuerySet[Offer]:
    """Pending offers the user may decide: their teams' (administrators: all)."""
    qs = offer_list_for_user(user=user).filter(status=Offer.Status.PENDING_APPROVAL)
    if not user.role_names & {"Administrator"}:
        qs = qs.filter(account__owner__team__manager=user)
    # the way up to the team's manager, for offers.services.approval_route
    return qs.select_related("account__owner__team__manager").order_by("updated_at")


def inbound_mail_for_user(*, user) -> QuerySet[InboundMail]:
    """Inbound mail of the accounts the user sees (mail of no account: only for
    those who see everything)."""
    return visible_to(
        InboundMail.objects.select_related("account", "offer", "decided_by"), user
    )


def offer_for_change(*, user, pk, whole: bool = True) -> Offer:
    """The offer the user may change (a 404 if they cannot see it, a 403 if they
    may only look); `whole` as in `offer_get_for_user`."""
    offer = offer_get_for_user(user=user, pk=pk, whole=whole)
    if not can_change(user, offer):
        raise PermissionDenied
    return offer
