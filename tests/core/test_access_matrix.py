"""Every URL pattern × every role × an own and a foreign object, read from the URLconf.

Two identical worlds are built, one for `kam` (team North, manager `manager`) and one
for `kam3` (team South, manager `manager2`). Before each world is built, every table's
id sequence is moved to the same number, so the first account, contact, offer, option,
line, contract, plan, document… of a world all carry that number. Filling every id in
every URL pattern with it gives a URL of that world, whatever the view: a new view with
object ids is covered without writing a new test.

For each role:
- a foreign object is refused (403, 404, 405 or a sign-in redirect), by GET and by POST,
  and the POST changes nothing;
- the own object is served exactly as the foreign world's owner is served theirs
  (the worlds are alike), and never with a server error;
- a see-all role (customer services, administrator) is served both worlds alike.
"""

import re

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Account
from tests.core.test_url_matrix import ALL, PUBLIC
from tests.core.world import build_world, fill, routes
from tests.writes import Writes

pytestmark = pytest.mark.django_db

OWN, FOREIGN = 700001, 800001
REFUSED = (403, 404, 405)
# the staff's sign-in pages, and the customer portal's (its pages are for contacts)
SIGN_IN = ("/auth/login/", "/admin/login/", "/portal/")
# views that name no object of a world, or only the user's own (checked elsewhere)
WORLDLESS = {"offers:template-edit", "offers:template-preview",  # company templates
             "renewals:run", "core:outbox-detail", "core:outbox-html"}  # fmt: skip
# admin pages of people, sign-in records and the company's seller profile, which
# belong to no world
WORLDLESS_PREFIXES = ("admin:core_user", "admin:core_team", "admin:axes_",
                      "admin:core_sellerprofile")  # fmt: skip


def object_patterns():
    """(name, route template) of every pattern that takes an object id."""
    found = []
    for name, route in routes():
        takes_id = "<int:" in route or "<path:object_id>" in route
        worldless = name in WORLDLESS or name.startswith(WORLDLESS_PREFIXES)
        if takes_id and not worldless and name not in PUBLIC:
            found.append((name, route))
    return found


PATTERNS = object_patterns()


@pytest.fixture
def worlds(cast):
    own = build_world(cast.kam, OWN)
    foreign = build_world(cast.kam3, FOREIGN)
    assert own.pk == OWN and foreign.pk == FOREIGN
    return own, foreign


def refused(response) -> bool:
    if response.status_code == 302:
        return response["Location"].startswith(SIGN_IN)
    return response.status_code in REFUSED


def test_the_matrix_reads_the_urlconf():
    names = {name for name, _raw in PATTERNS}
    assert len(PATTERNS) > 100  # the admin's change pages included
    assert {"accounts:detail", "accounts:document-download", "offers:pdf",
            "offers:line-update", "contracts:detail", "planning:plan-pdf",
            "admin:offers_offer_change"} <= names  # fmt: skip


# role -> (user in the own world's seat, user in the foreign world's seat) or a see-all
ROLES = {
    "kam": ("kam", "kam3"),
    "manager": ("manager", "manager2"),
    "cs": ("cs", "cs"),
    "admin": ("admin", "admin"),
    "norole": ("norole", "norole"),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_object_url_for_every_role(client, cast, worlds, role):
    _own_world, _foreign_world = worlds
    mine, theirs = (getattr(cast, who) for who in ROLES[role])
    sees_all = mine == theirs and role != "norole"
    problems, served = [], 0
    # one signed-in client each (signing in again before every request made
    # a session and a last_login write each time)
    client.force_login(mine)
    other = Client()
    other.force_login(theirs)
    for name, raw in PATTERNS:
        own_url, foreign_url = fill(raw, OWN), fill(raw, FOREIGN)
        own = client.get(own_url)
        cross = client.get(foreign_url)
        mirrored = other.get(foreign_url)
        if own.status_code >= 500 or cross.status_code >= 500:
            problems.append(
                f"{name}: server error {own.status_code}/{cross.status_code}"
            )
            continue
        if own.status_code == 200:
            served += 1
        if own.status_code != mirrored.status_code:
            problems.append(f"{name}: own {own.status_code}, mirrored "
                            f"{mirrored.status_code}")  # fmt: skip
        if sees_all:
            if cross.status_code != own.status_code:
                problems.append(f"{name}: sees own {own.status_code} but other "
                                f"{cross.status_code}")  # fmt: skip
            continue
        if not refused(cross):
            problems.append(f"{name}: GET of a foreign object gave {cross.status_code}")
        writes = Writes()
        with connection.execute_wrapper(writes):
            posted = client.post(foreign_url, {"quantity": "99", "name": "Hijacked"})
        if not refused(posted):
            problems.append(f"{name}: POST to a foreign object gave "
                            f"{posted.status_code}")  # fmt: skip
        if writes.tables:
            problems.append(
                f"{name}: a refused POST wrote {sorted(set(writes.tables))}"
            )
        if client.session.get("_auth_user_id") != str(mine.pk):
            client.force_login(mine)  # the probe signed out (the logout URL)
    assert not problems, "\n".join(problems)
    # the matrix is not vacuous: the owner's side is really served
    if role in ("kam", "manager"):
        assert served >= 15, served
    if role == "norole":
        assert served == 0


INLINE_SCRIPT = re.compile(
    r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>\s*\S', re.I
)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


@pytest.mark.parametrize("who", ["kam", "admin"])
def test_every_page_keeps_to_the_content_security_policy(client, cast, worlds, who):
    """Every page a role can open, with its own objects, has the CSP header and no
    inline script, event handler, style attribute or javascript: link, which the
    policy would block in the browser."""

    client.force_login(getattr(cast, who))
    object_routes = dict(PATTERNS)
    problems, checked = [], 0
    for name, path in ALL:
        if name in PUBLIC or name.startswith("anymail:"):
            continue
        url = fill(object_routes[name], OWN) if name in object_routes else path
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get(
            "Content-Type", ""
        ):
            continue
        checked += 1
        html = response.content.decode()
        csp = response.get("Content-Security-Policy", "")
        strict = "script-src 'self'" in csp and "unsafe-inline" not in csp
        if not strict and not csp.startswith("sandbox"):  # sandbox: stored e-mails
            problems.append(f"{name}: Content-Security-Policy {csp!r}")
        for label, rule in (("inline script", INLINE_SCRIPT), ("event handler", HANDLER),
                            ("style attribute", INLINE_STYLE), ("javascript: URL", JS_URL)):  # fmt: skip
            if match := rule.search(html):
                problems.append(f"{name}: {label}: {match.group(0)[:80]}")
    assert not problems, "\n".join(problems)
    assert checked >= (30 if who == "kam" else 120), checked


def test_the_write_detector_sees_writes_and_only_writes(cast):
    account = Account.objects.create(name="Probe", owner=cast.kam)
    writes = Writes()
    with connection.execute_wrapper(writes):
        list(Account.objects.filter(pk=account.pk))  # a read
        Account.objects.filter(pk=account.pk).update(name="Changed")
        account.contacts.create(last_name="New")
        account.contacts.all().delete()
    # the read wrote nothing; the update, the insert and the delete (with what it
    # cascades to) did
    assert writes.tables[:2] == ["accounts_account", "accounts_contact"]
    assert writes.tables.count("accounts_contact") >= 2
