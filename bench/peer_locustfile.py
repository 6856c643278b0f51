"""The admin-based CRM's pages for `bench/peer.py` (locust, headless): one page over
and over, named by $KAM_BENCH_PEER_PAGE, by the users in $KAM_BENCH_PEER_FIXTURE."""

import json
import os
import random
import re

import exact_times  # noqa: F401 (records each request's own time)
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

FIXTURE = json.loads(open(os.environ["KAM_BENCH_PEER_FIXTURE"]).read())  # noqa: SIM115
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN = "/en/123/789-login/"
# the peer's page for each of KAM's jobs (bench/peer.py says which is which)
PAGES = {
    "landing page": lambda me: "/en/123/",
    "my companies": lambda me: "/en/123/crm/company/",
    "companies found": lambda me: "/en/123/crm/company/?q=Company+0001",
    "company": lambda me: (
        f"/en/123/crm/company/{random.choice(me['companies'])}/change/"
    ),
    "deal": lambda me: f"/en/123/crm/deal/{random.choice(me['deals'])}/change/",
    "all companies": lambda me: "/en/123/crm/company/",
    "all deals": lambda me: "/en/123/crm/deal/",
}
SUPERUSER_PAGES = {"all companies", "all deals"}


class PeerPage(FastHttpUser):
    wait_time = constant(0)
    _taken = 0

    def on_start(self):
        name = os.environ["KAM_BENCH_PEER_PAGE"]
        if name in SUPERUSER_PAGES:
            username = FIXTURE["superuser"]
        else:  # the same managers every run, in turn (as bench/locustfile.py's KAMs)
            username = FIXTURE["managers"][PeerPage._taken % len(FIXTURE["managers"])]
            PeerPage._taken += 1
        self.me = {"username": username,
                   "companies": FIXTURE["companies"].get(username, []),
                   "deals": FIXTURE["deals"].get(username, [])}  # fmt: skip
        page = self.client.get(LOGIN, name="login form")
        token = TOKEN.search(page.text).group(1)
        with self.client.post(
            LOGIN, data={"username": username, "password": FIXTURE["password"],
                         "csrfmiddlewaretoken": token, "next": "/en/123/"},
            headers={"Referer": self.host + LOGIN}, name="login",
            allow_redirects=False, catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 302:
                response.failure(f"login of {username} failed")

    @task
    def same_page(self):
        name = os.environ["KAM_BENCH_PEER_PAGE"]
        self.client.get(PAGES[name](self.me), name=name)
