from functools import lru_cache

from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

from core.roles import Role


def navigation(request):
    """Build the role-aware main navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("core:home", _("Home"), "house")]
    roles = user.role_names
    if roles & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_MANAGER} or user.sees_everything:
        items.append(("accounts:list", _("Accounts"), "buildings"))
    items.append(("offers:list", _("Offers"), "file-earmark-text"))
    if roles & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_MANAGER} or user.sees_everything:
        items.append(("renewals:pipeline", _("Renewals"), "arrow-repeat"))
        items.append(("insights:index", _("Insights"), "graph-up-arrow"))
    if roles & {Role.SALES_MANAGER, Role.ADMINISTRATOR}:
        items.append(("offers:approvals", _("Approvals"), "patch-check"))
    items.append(("accounts:tasks", _("Tasks"), "check2-square"))
    if roles & {Role.SALES_MANAGER, Role.ADMINISTRATOR, Role.KEY_ACCOUNT_MANAGER}:
        items.append(("accounts:handoffs", _("Handoffs"), "box-arrow-in-right"))
    if roles & {Role.ADMINISTRATOR, Role.CUSTOMER_SERVICES}:
        items.append(("accounts:import", _("Import"), "upload"))
    if user.is_staff:
        items.append(("admin:index", _("Admin"), "gear"))
    if Role.ADMINISTRATOR in roles:
        items.append(("core:outbox", _("Outbox"), "envelope"))
        items.append(("offers:templates", _("Templates"), "file-text"))
        items.append(("swagger-ui", _("API"), "braces"))
    current = request.path
    prefix = get_script_prefix()
    nav = [
        {"url": _url(name, prefix), "label": label, "icon": icon, "active": False}
        for name, label, icon in items
    ]
    # The longest link that the current path starts with is the active one.
    matches = [
        n
        for n in nav
        if current == n["url"] or (n["url"] != "/" and current.startswith(n["url"]))
    ]
    if matches:
        max(matches, key=lambda n: len(n["url"]))["active"] = True
    # read with the user (core.auth) unless the user came another way
    unread = getattr(user, "unread_count", None)
    if unread is None:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {"nav_items": nav, "unread_notifications": unread}


@lru_cache(maxsize=64)
def _url(name: str, prefix: str) -> str:
    """A navigation link: the same for every request under the same script prefix
    (reversed once per process, not a dozen times per page)."""
    return reverse(name)
