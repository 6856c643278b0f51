"""Company sign-in for staff with OpenID Connect (mozilla-django-oidc), configured
by environment variables (kam/settings/base.py): users are matched by e-mail and
get their roles from the identity provider's groups claim (KAM_OIDC_GROUP_ROLES);
the provider is in charge of their second factor."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from core.roles import ROLES_USING_ADMIN, Role


def enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


def roles_from(claims: dict) -> set[str]:
    """The KAM roles the provider's groups give (KAM_OIDC_GROUP_ROLES)."""
    groups = claims.get(settings.KAM_OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    mapping = settings.KAM_OIDC_GROUP_ROLES
    return {mapping[g] for g in groups if mapping.get(g) in set(Role)}


class KamOIDCBackend(OIDCAuthenticationBackend):
    """A user of the provider is the active KAM user with the same e-mail (made
    where KAM_OIDC_CREATE_USERS allows); their roles follow the groups claim at
    every sign-in."""

    def verify_claims(self, claims):
        return (
            bool(claims.get("email"))
            and claims.get("email_verified", True) is not False
        )

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(
            email__iexact=claims.get("email", ""), is_active=True
        )

    def create_user(self, claims):
        if not settings.KAM_OIDC_CREATE_USERS:
            return None
        email = claims["email"].lower()
        base = email.split("@")[0][:140]
        username, n = base, 1
        while self.UserModel.objects.filter(username=username).exists():
            n += 1
            username = f"{base}{n}"
        user = self.UserModel.objects.create_user(username=username, email=email)
        user.set_unusable_password()  # signs in through the provider only
        user.save(update_fields=["password"])
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user, claims):
        user.first_name = claims.get("given_name", user.first_name)[:150]
        user.last_name = claims.get("family_name", user.last_name)[:150]
        roles = roles_from(claims)
        role_groups = Group.objects.filter(name__in=list(Role))
        user.groups.remove(*role_groups.exclude(name__in=roles))
        user.groups.add(*role_groups.filter(name__in=roles))
        user.is_staff = bool(roles & ROLES_USING_ADMIN)
        user.save(update_fields=["first_name", "last_name", "is_staff"])
        return user


def authenticate_view(request, *args, **kwargs):
    """The start of company sign-in; a 404 where none is configured."""
    if not enabled():
        raise Http404
    return OIDCAuthenticationRequestView.as_view()(request, *args, **kwargs)


def callback_view(request, *args, **kwargs):
    """The provider's answer; a 404 where none is configured (a failed one goes
    back to sign-in: LOGIN_REDIRECT_URL_FAILURE)."""
    if not enabled():
        raise Http404
    return OIDCAuthenticationCallbackView.as_view()(request, *args, **kwargs)


def mark_company_sign_in(sender, request, user, **kwargs):
    """A session opened by company sign-in: its second factor is the provider's
    (core.middleware.TwoFactorMiddleware)."""
    if getattr(user, "backend", "") == "core.oidc.KamOIDCBackend" and request:
        from core.middleware import TWO_FACTOR

        request.session[TWO_FACTOR] = "sso"
