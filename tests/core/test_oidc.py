"""Company sign-in with OpenID Connect, against a real provider the test starts
(tests/oidc_provider: django-oauth-toolkit), through KAM's live server: the
authorization code flow with PKCE, the ID token checked with the provider's keys,
the user matched by e-mail and given the roles of the provider's groups; local
passwords off for everyone but the break-glass administrator."""

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.models import User
from core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)
PROVIDER = Path(__file__).resolve().parents[1] / "oidc_provider" / "serve.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def provider(live_server, tmp_path):
    """The provider on 127.0.0.1 (KAM's live server answers on localhost: the two
    keep their cookies apart)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()  # fmt: skip
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(PROVIDER), str(port),
         f"{live_server.url}/auth/oidc/callback/"],
        env={"PATH": "/usr/bin:/bin", "OP_DATABASE": str(tmp_path / "op.sqlite3"),
             "OP_RSA_KEY": pem, "OP_NOW": str(time.time())},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(process.stdout.read())
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def company_sign_in(settings, provider):
    settings.OIDC_RP_CLIENT_ID = "kam"
    settings.OIDC_RP_CLIENT_SECRET = "kam-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider}/o/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider}/o/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider}/o/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider}/o/.well-known/jwks.json"
    settings.KAM_OIDC_GROUP_ROLES = {"kam-cs": Role.CUSTOMER_SERVICES,
                                     "kam-admins": Role.ADMINISTRATOR}  # fmt: skip
    settings.KAM_OIDC_PROVIDER_NAME = "Corp ID"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "core.oidc.KamOIDCBackend",
    ]
    return provider


def sign_in_at_the_provider(live_server, provider) -> requests.Session:
    browser = requests.Session()
    login_page = browser.get(f"{live_server.url}/auth/oidc/authenticate/")
    assert login_page.url.startswith(f"{provider}/login/"), login_page.url
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)
    next_url = re.search(r'name="next" value="([^"]+)"', login_page.text)
    answer = browser.post(
        login_page.url,
        data={"csrfmiddlewaretoken": token.group(1), "username": "anna",
              "password": "anna-pass", "next": next_url.group(1).replace("&amp;", "&")},
        headers={"Referer": login_page.url},
    )  # fmt: skip
    assert answer.url.startswith(live_server.url), answer.url
    return browser


def test_company_sign_in_matches_by_email_and_maps_the_groups(
    live_server, company_sign_in, cast, settings
):
    anna = User.objects.create_user("akraus", "Anna@Corp.example", "local-pass")
    login = requests.get(f"{live_server.url}/auth/login/", timeout=10).text
    assert "Sign in with Corp ID" in login
    browser = sign_in_at_the_provider(live_server, company_sign_in)
    home = browser.get(f"{live_server.url}/")
    assert home.url == f"{live_server.url}/" and "Anna Kraus" in home.text
    anna = User.objects.get(pk=anna.pk)
    assert anna.role_names == {Role.CUSTOMER_SERVICES} and anna.is_staff
    # the provider checked the second factor: no setup asked of this role here
    settings.KAM_TWO_FACTOR_REQUIRED_ROLES = [Role.CUSTOMER_SERVICES]
    assert browser.get(f"{live_server.url}/").url == f"{live_server.url}/"


def test_no_account_no_sign_in_unless_creation_is_allowed(
    live_server,
    company_sign_in,
    settings,
    cast,  # cast: the role groups
):
    browser = sign_in_at_the_provider(live_server, company_sign_in)
    assert browser.get(f"{live_server.url}/").url.startswith(
        f"{live_server.url}/auth/login/"
    )
    assert not User.objects.filter(email__iexact="anna@corp.example").exists()
    settings.KAM_OIDC_CREATE_USERS = True
    browser = sign_in_at_the_provider(live_server, company_sign_in)
    assert browser.get(f"{live_server.url}/").url == f"{live_server.url}/"
    anna = User.objects.get(email="anna@corp.example")
    assert anna.username == "anna" and not anna.has_usable_password()
    assert anna.role_names == {Role.CUSTOMER_SERVICES}


def test_local_passwords_off_but_for_the_break_glass_administrator(
    client, cast, settings
):
    settings.KAM_LOCAL_PASSWORDS = False
    settings.KAM_BREAK_GLASS_USERS = ["admin"]
    refused = client.post(
        "/auth/login/", {"username": "kam", "password": "s3cret-pass"}
    )
    assert refused.status_code == 200 and "Sign in with" in refused.content.decode()
    allowed = client.post("/auth/login/", {"username": "admin",
                                           "password": "s3cret-pass"})  # fmt: skip
    assert allowed.status_code == 302


def test_without_a_provider_company_sign_in_is_not_there(client):
    assert client.get("/auth/oidc/authenticate/").status_code == 404
    assert "Sign in with" not in client.get("/auth/login/").content.decode()


def test_a_callback_without_a_sign_in_goes_back_to_sign_in(client, settings):
    assert client.get("/auth/oidc/callback/").status_code == 404  # none configured
    settings.OIDC_RP_CLIENT_ID = "kam"
    response = client.get("/auth/oidc/callback/?code=x&state=forged")
    assert response.status_code == 302 and response["Location"] == "/auth/login/"
