"""The one access rule for every object a user may see.

A user sees an object when they own it, are its deputy, manage the team of
its owner, or hold a role that sees everything (Administrator, Customer
Services). Anything else is a 404, never a 403, so that nobody learns which
objects exist.

A model opts in by naming the paths to its owner and deputy::

    class Offer(models.Model):
        access = AccessPaths(owner="account__owner", deputy="account__deputy")

Views, selectors and the API all go through `visible_to` / `get_visible_or_404`.
"""

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet
from django.http import Http404


@dataclass(frozen=True)
class AccessPaths:
    """Paths from a model to its owner(s) and deputy; several owners are ORed."""

    owner: str | tuple[str, ...]
    deputy: str | None = None

    @property
    def owners(self) -> tuple[str, ...]:
        return (self.owner,) if isinstance(self.owner, str) else self.owner


def _paths(model) -> AccessPaths:
    paths = getattr(model, "access", None)
    if not isinstance(paths, AccessPaths):
        raise TypeError(f"{model.__name__} declares no `access = AccessPaths(...)`")
    return paths


def visibility_q(user, model) -> Q | None:
    """Return the filter for what `user` may see of `model`; None means all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything:
        return None
    paths = _paths(model)
    # the owners whose objects the user sees: themselves and the members of the
    # teams they manage, as ids, so that PostgreSQL can use the owner index instead
    # of joining every object to its owner's team
    owners = [user.pk, *user.managed_member_ids]
    q = Q(pk__in=[])
    for owner in paths.owners:
        q |= Q(**{f"{owner}__in": owners})
    if paths.deputy:
        q |= Q(**{paths.deputy: user})
    return q


def visible_to(queryset: QuerySet, user) -> QuerySet:
    """Restrict `queryset` to the objects `user` may see."""
    q = visibility_q(user, queryset.model)
    return queryset if q is None else queryset.filter(q)


def get_visible_or_404(queryset: QuerySet, user, **lookups) -> Model:
    """Fetch one object the user may see, or raise 404 (also for foreign ones).

    The object remembers whom it was fetched for, so that `can_see` and
    `can_change` on it in the same request do not ask the database again."""
    try:
        obj = visible_to(queryset, user).get(**lookups)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc
    obj._visible_to_user = user.pk
    return obj


def can_change(user, obj: Model) -> bool:
    """Tell whether `user` may change `obj`: see it, and not only as Customer Services.

    Customer Services see every account but change them only through their own
    workflows (contracts, invoices) in the admin.
    """
    from core.roles import Role

    if user.role_names == {Role.CUSTOMER_SERVICES}:
        return False
    return can_see(user, obj)


def can_see(user, obj: Model) -> bool:
    """Tell whether `user` may see `obj` (one query unless the user sees all, or
    `obj` was fetched for this user by `get_visible_or_404`)."""
    if user.pk is not None and getattr(obj, "_visible_to_user", None) == user.pk:
        return True
    q = visibility_q(user, type(obj))
    if q is None:
        return True
    return type(obj)._default_manager.filter(q, pk=obj.pk).exists()
