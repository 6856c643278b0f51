"""Every URL pattern, read from the URLconf, refuses an anonymous visitor unless it
is public on purpose, and takes no POST without the session's CSRF token: a new view
is covered without a new test.

The ids in the URLs are those of rows that exist (tests/core/world.py builds one of
everything with the same id): a view that forgot its guard would serve the row, and a
404 would not pass for a refusal."""

import pytest
from django.test import Client

from tests.core.world import PARAMETER, build_world, routes

pytestmark = pytest.mark.django_db

# public on purpose, each for its reason
PUBLIC = {
    "login", "password_reset", "password_reset_done", "password_reset_confirm",
    "password_reset_complete",  # signing in and recovering a password
    "set_language",  # the language switch on the login page
    "acceptance:accept", "offers:accept-pdf",  # the customer's signed link
    "contracts:sign", "contracts:sign-pdf",  # the customer's signed link
    "accounts:calendar-feed",  # a calendar app's secret feed link
    "schema", "swagger-ui",  # the API's description (the API itself needs a token)
    "api-token",  # trading credentials for an API token (bad ones get a 400)
    "admin:login", "admin:logout",  # the admin's own sign-in and sign-out
    # the customer portal's sign-in: asking for a link, the link, signing out
    "portal:sign-in", "portal:enter", "portal:sign-out",
    # company sign-in's start and the provider's answer (a 404 where none is set up)
    "oidc_authentication_init", "oidc_authentication_callback",
}  # fmt: skip
PUBLIC_PATHS = {"/favicon.ico"}  # a redirect to the static icon
WORLD = 700001  # the id of every object of the world these tests build
SAMPLES = {"int": str(WORLD), "str": "x", "slug": "x", "path": str(WORLD),
           "uuid": "00000000-0000-0000-0000-000000000000",
           "drf_format_suffix": ".json"}  # fmt: skip
# the staff's sign-in pages, and the customer portal's (its pages are for contacts)
SIGN_IN = ("/auth/login/", "/admin/login/", "/portal/")


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


@pytest.fixture
def world(cast):
    return build_world(cast.kam, WORLD)


def test_the_world_is_really_there(client, cast, world):
    """What the tests below rely on: the sample ids name real rows, which the owner
    is served."""
    client.force_login(cast.kam)
    for url in (f"/accounts/{WORLD}/", f"/offers/{WORLD}/", f"/contracts/{WORLD}/"):
        assert client.get(url).status_code == 200, url


def test_anonymous_visitor_is_refused(client, world):
    problems, checked = [], 0
    for name, path in ALL:
        if name in PUBLIC or path in PUBLIC_PATHS or name.startswith("anymail:"):
            continue  # public on purpose; webhooks check their own secret
        checked += 1
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            status = response.status_code
            # then: sent to sign in, or refused, never served and never a server error
            if status == 302:
                location = response["Location"]
                if not (location.startswith(SIGN_IN) or "login" in location):
                    problems.append(f"{method} {path} ({name}): 302 to {location}")
            elif status not in (401, 403, 405):
                problems.append(f"{method} {path} ({name}): {status}")
    assert not problems, "\n".join(problems)
    assert checked > 300, checked


# views that take a POST without the session's CSRF token, each for its reason
CSRF_EXEMPT = {"api-token"}  # trades a password for a token; no session involved


def test_every_post_needs_the_csrf_token(cast, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.admin)
    problems, checked = [], 0
    for name, path in ALL:
        if name in CSRF_EXEMPT or name.startswith("anymail:"):
            continue  # authenticated by a password or a signature, not the session
        checked += 1
        response = client.post(path, {"name": "x"})
        # then: refused before the view runs, whatever the view would do with the POST
        if response.status_code != 403 or b"CSRF" not in response.content:
            problems.append(f"{path} ({name}): {response.status_code}")
    assert not problems, "\n".join(problems)
    assert checked > 300, checked
