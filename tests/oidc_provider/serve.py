"""Start the tests' OpenID Connect provider: `python serve.py PORT REDIRECT_URI`.

Makes its database, a user (anna@corp.example, groups kam-cs and staff) and the
KAM client (client id `kam`, secret `kam-secret`), then serves until killed."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

import django
import time_machine

# the tests' clock (tests/clock.py): the provider's tokens are dated as KAM sees time
if os.environ.get("OP_NOW"):
    time_machine.travel(float(os.environ["OP_NOW"]), tick=True).start()
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import run  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402


def main(port: int, redirect_uri: str) -> None:
    call_command("migrate", verbosity=0)
    anna = User.objects.create_user("anna", "anna@corp.example", "anna-pass",
                                    first_name="Anna", last_name="Kraus")  # fmt: skip
    for name in ("kam-cs", "staff"):
        anna.groups.add(Group.objects.create(name=name))
    Application.objects.create(
        name="KAM", client_id="kam", client_secret="kam-secret",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri, skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )  # fmt: skip
    print("ready", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
