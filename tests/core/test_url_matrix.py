"""Every URL pattern, read from the URLconf, refuses an anonymous visitor unless it
is public on purpose: a new view is covered without a new test."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from kam.core.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# public on purpose, each for its reason
PUBLIC = {
    "login", "password_reset", "password_reset_done", "password_reset_confirm",
    "password_reset_complete",  # signing in and recovering a password
    "set_language",  # the language switch on the login page
    "offers:accept", "offers:accept-pdf",  # the customer's signed link
    "contracts:sign", "contracts:sign-pdf",  # the customer's signed link
    "accounts:calendar-feed",  # a calendar app's secret feed link
    "schema", "swagger-ui",  # the API's description (the API itself needs a token)
    "api-token",  # trading credentials for an API token (bad ones get a 400)
    "admin:login", "admin:logout",  # the admin's own sign-in and sign-out
}  # fmt: skip
PUBLIC_PATHS = {"/favicon.ico"}  # a redirect to the static icon
SAMPLES = {"int": "1", "str": "x", "slug": "x", "path": "x",
           "uuid": "00000000-0000-0000-0000-000000000000"}  # fmt: skip
SIGN_IN = ("/auth/login/", "/admin/login/")


PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")


def routes() -> list[tuple[str, str]]:
    """(name, route template such as /offers/<int:pk>/) of every URL pattern written
    as a route; regular expressions (the admin's app index) are left out."""

    def walk(items, prefix, namespace):
        for item in items:
            if not isinstance(item.pattern, RoutePattern):
                continue
            route = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                inner = item.namespace
                if inner and namespace:
                    inner = f"{namespace}:{inner}"
                yield from walk(item.url_patterns, route, inner or namespace)
            elif isinstance(item, URLPattern):
                name = item.name or "<unnamed>"
                yield (f"{namespace}:{name}" if namespace else name, "/" + route)

    return sorted(set(walk(get_resolver().url_patterns, "", None)))


def patterns():
    """(name, path) of every route, its parameters filled with samples."""
    return sorted(
        (name, PARAMETER.sub(lambda m: SAMPLES.get(m.group(1) or "str", "x"), route))
        for name, route in routes()
    )


ALL = patterns()


def test_the_urlconf_is_read_whole():
    names = {name for name, _path in ALL}
    assert len(ALL) > 300  # the admin's pages included
    assert {"core:home", "accounts:detail", "offers:line-update", "insights:upsell",
            "admin:contracts_contract_changelist", "api-me"} <= names  # fmt: skip
    assert names >= PUBLIC  # nothing listed that no longer exists


@pytest.mark.parametrize(("name", "path"), ALL, ids=[f"{n} {p}" for n, p in ALL])
def test_anonymous_visitor_is_refused(client, name, path):
    if name in PUBLIC or path in PUBLIC_PATHS or name.startswith("anymail:"):
        pytest.skip("public on purpose")  # webhooks check their own secret
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        # then: sent to sign in, or refused, never served and never a server error
        assert response.status_code in (302, 401, 403, 404, 405), (method, path)
        if response.status_code == 302:
            assert response["Location"].startswith(SIGN_IN) or (
                "login" in response["Location"]
            ), (method, path, response["Location"])


# views that take a POST without the session's CSRF token, each for its reason
CSRF_EXEMPT = {"api-token"}  # trades a password for a token; no session involved


@pytest.mark.parametrize(("name", "path"), ALL, ids=[f"{n} {p}" for n, p in ALL])
def test_every_post_needs_the_csrf_token(name, path):
    if name in CSRF_EXEMPT or name.startswith("anymail:"):
        pytest.skip("authenticated by a password or a signature, not by the session")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("admin", Role.ADMINISTRATOR))
    response = client.post(path, {"name": "x"})
    if response.status_code == 404:  # a sample that no route takes (a format suffix)
        return
    # then: refused before the view runs, whatever the view would do with the POST
    assert response.status_code == 403, (path, response.status_code)
    assert b"CSRF" in response.content
