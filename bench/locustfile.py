"""The mixed workload of `bench/pages.py` (locust, headless): KAMs at work, managers
reading the upsell report, customer services on their admin worklist.

Reads the users and object ids from the JSON file in $KAM_BENCH_FIXTURE. Users are
FastHttpUsers: the load generator shares the server's 2 cores, and the requests-based
HttpUser cost several times the CPU per request.
"""

import json
import os
import random
import re

import exact_times  # noqa: F401 (records each request's own time)
from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser

FIXTURE = json.loads(open(os.environ["KAM_BENCH_FIXTURE"]).read())  # noqa: SIM115
PASSWORD = FIXTURE["password"]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _Signed(FastHttpUser):
    abstract = True
    wait_time = between(0.05, 0.2)
    pool = "kams"
    in_turn = False  # True: the pool's users in order (the same ones every run)
    _taken = 0

    def on_start(self):
        if self.in_turn:
            self.me = FIXTURE[self.pool][_Signed._taken % len(FIXTURE[self.pool])]
            _Signed._taken += 1
        else:
            self.me = random.choice(FIXTURE[self.pool])
        page = self.client.get("/auth/login/", name="login form")
        token = TOKEN.search(page.text).group(1)
        with self.client.post(
            "/auth/login/",
            data={"username": self.me["username"], "password": PASSWORD,
                  "csrfmiddlewaretoken": token},
            name="login", allow_redirects=False, catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 302:
                response.failure(f"login of {self.me['username']} failed")

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.client.cookiejar if c.name == name)


# the pages `pages.py --ratios` compares with the floor, as a KAM asks for them
PAGES = {
    "floor": lambda me: "/floor/",
    "KAM home": lambda me: "/",
    "account list (filtered)": lambda me: (
        "/accounts/?tier=A&is_key_account=true&q=Hamburg"
    ),
    "account 360": lambda me: f"/accounts/{random.choice(me['accounts'])}/",
    # a section of the 360 as the browser fetches it when it comes into view
    "account 360 section": lambda me: (
        f"/accounts/{random.choice(me['accounts'])}/panels/{random.choice(SECTIONS)}/"
    ),
    "offer detail": lambda me: f"/offers/{random.choice(me['offers'])}/",
    # customer services see everything: 50,000 accounts, 100,000 offers
    "all accounts": lambda me: "/accounts/",
    "all offers": lambda me: "/offers/?scope=all",
}
# the 360's lazy sections (accounts.panels.LAZY)
SECTIONS = ("health", "contacts", "map", "timeline", "handoff", "offers", "upsell",
            "tasks", "documents")  # fmt: skip
# who asks for a page (a pool of the fixture's users; KAMs unless named here)
POOLS = {"all accounts": "cs", "all offers": "cs"}
HEADERS = {"account 360 section": {"HX-Request": "true"}}


# "KAM mix": a KAM's pages in the proportions of the Kam workload below, one
# request at a time (the mixed workload's throughput against the floor's)
MIX = {"KAM home": 3, "account list (filtered)": 2, "account 360": 3,
       "account 360 section": 3, "offer detail": 2}  # fmt: skip


def get_page(user, name: str) -> None:
    page = (
        random.choices(list(MIX), list(MIX.values()))[0] if name == "KAM mix" else name
    )
    user.client.get(PAGES[page](user.me), name=name, headers=HEADERS.get(page))


class OnePage(_Signed):
    """One page of PAGES over and over (`pages.py --ratios`), named by
    $KAM_BENCH_PAGE: the page against the floor, at a given number of clients."""

    abstract = "KAM_BENCH_PAGE" not in os.environ
    wait_time = constant(0)
    pool = POOLS.get(os.environ.get("KAM_BENCH_PAGE", ""), "kams")
    # every page of a ratio run is asked for by the same users: the first KAM at 1
    # client, the first four at 4 (a random KAM's accounts made runs differ)
    in_turn = True

    @task
    def same_page(self):
        get_page(self, os.environ["KAM_BENCH_PAGE"])


class Ceiling(_Signed):
    """One path over and over (`pages.py --ceiling`): what the stack itself costs."""

    abstract = "KAM_BENCH_PATH" not in os.environ  # only in a ceiling run
    wait_time = constant(0)  # as fast as the server answers

    @task
    def same_page(self):
        path = os.environ["KAM_BENCH_PATH"]
        self.client.get(path, name=path)


class Kam(_Signed):
    weight = 8

    def page(self, name: str):
        get_page(self, name)

    @task(3)
    def home(self):
        self.page("KAM home")

    @task(2)
    def account_list(self):
        self.page("account list (filtered)")

    @task(3)
    def account_360(self):
        self.page("account 360")

    @task(3)
    def account_360_sections(self):  # what scrolling down the 360 fetches
        self.page("account 360 section")

    @task(2)
    def offer_detail(self):
        self.page("offer detail")

    @task(1)
    def save_offer_line(self):
        offer, line = self.me["draft"]
        with self.client.post(
            f"/offers/{offer}/lines/{line}/",
            data={"quantity": random.randint(1, 40), "unit_price": "120.00",
                  "discount_percent": "5"},
            headers={"X-CSRFToken": self.cookie("csrftoken"), "HX-Request": "true"},
            name="save offer line", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200 or "alert-danger" in response.text:
                response.failure(f"the line was refused ({response.status_code})")


class Manager(_Signed):
    weight = 1
    pool = "managers"

    @task
    def upsell(self):
        self.client.get("/insights/upsell/", name="upsell report (team)")


class CustomerServices(_Signed):
    weight = 1
    pool = "cs"

    @task
    def worklist(self):
        self.client.get("/admin/contracts/contract/?worklist=new",
                        name="admin worklist")  # fmt: skip
