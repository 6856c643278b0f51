from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.core.roles import Role


def navigation(request):
    """Build the role-aware main navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("core:home", _("Home"), "house")]
    roles = user.role_names
    if roles & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_MANAGER} or user.sees_everything:
        items.append(("accounts:list", _("Accounts"), "buildings"))
    if user.is_staff:
        items.append(("admin:index", _("Admin"), "gear"))
    if Role.ADMINISTRATOR in roles:
        items.append(("core:outbox", _("Outbox"), "envelope"))
        items.append(("swagger-ui", _("API"), "braces"))
    current = request.path
    nav = []
    for name, label, icon in items:
        url = reverse(name)
        active = current == url if url == "/" else current.startswith(url)
        nav.append({"url": url, "label": label, "icon": icon, "active": active})
    return {"nav_items": nav}
