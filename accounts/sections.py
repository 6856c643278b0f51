"""The account 360's own lazy sections (accounts.panels.Lazy): each builds what its
template shows, in a constant number of queries."""

from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.models import Handoff
from accounts.panels import Lazy, register_lazy


def _contacts(account) -> list:
    return list(
        account.contacts.select_related("reports_to").order_by(
            "-influence", "last_name"
        )
    )


def contacts(request, account, editable) -> dict:
    return {"contacts": _contacts(account)}


def relationship_map(request, account, editable) -> dict:
    return {"relationship_map": selectors.relationship_map(_contacts(account))}


def timeline(request, account, editable) -> dict:
    return {
        "timeline": Paginator(
            selectors.timeline_for_account(account=account), 15
        ).get_page(1)
    }


def handoff(request, account, editable) -> dict:
    return {
        "handoff": Handoff.objects.filter(account=account)
        .select_related("submitted_by")
        .prefetch_related("products")
        .first()
    }


def offers(request, account, editable) -> dict:
    return {
        "offers": account.offers.select_related("contact").order_by("-updated_at")[:10]
    }


def upsell(request, account, editable) -> dict:
    return {"upsell": selectors.upsell_for_account(account=account)}


def tasks(request, account, editable) -> dict:
    return {
        "open_tasks": list(
            account.tasks.filter(done_at__isnull=True)
            .select_related("assignee")
            .order_by("due_at")
        ),
        "next_url": account.get_absolute_url() + "#tasks",
    }


def documents(request, account, editable) -> dict:
    return {"documents": list(account.documents.select_related("uploaded_by")[:20])}


P = "accounts/panels/"
for _panel in (
    Lazy("contacts", _("Contacts and buying center"), P + "contacts.html", contacts),
    Lazy("map", _("Relationship map"), P + "map.html", relationship_map),
    Lazy("timeline", _("Timeline"), P + "timeline.html", timeline),
    Lazy("handoff", _("From the sales handoff"), P + "handoff.html", handoff, "side"),
    Lazy("offers", _("Offers"), P + "offers.html", offers, "side"),
    # what peers buy changes with other accounts' orders: the segment's own cache
    # (KAM_SEGMENT_CACHE_SECONDS) serves it, not the account's version
    Lazy("upsell", _("Upsell potential"), P + "upsell.html", upsell, "side", key=None),
    Lazy("tasks", _("Open tasks"), P + "tasks.html", tasks, "side", per_user=True),
    Lazy("documents", _("Documents"), P + "documents.html", documents, "side"),
):
    register_lazy(_panel)
