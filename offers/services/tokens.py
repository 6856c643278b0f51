"""The acceptance link: a signed token naming the offer (and its revision)."""

from django.core import signing
from django.urls import reverse

from offers.models import Offer

TOKEN_SALT = "kam.offers.accept"  # noqa: S105 (a signing salt)


def acceptance_token(offer: Offer) -> str:
    return signing.dumps(
        {"o": offer.pk, "n": offer.number, "r": offer.revision}, salt=TOKEN_SALT
    )


def offer_for_token(token: str) -> Offer | None:
    """The offer behind a signed acceptance link, or None if it was tampered with."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    return (
        Offer.objects.filter(
            pk=data.get("o"), number=data.get("n"), revision=data.get("r")
        )
        .select_related("account", "account__owner", "contact")
        .prefetch_related("options__lines__product")
        .first()
    )


def acceptance_path(offer: Offer) -> str:
    return reverse("acceptance:accept", args=[acceptance_token(offer)])
