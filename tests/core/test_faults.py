"""Faults on purpose: the broker goes away while KAMs send offers, and the e-mail
provider answers 5xx, then 200, or 4xx. (A renewal run killed with SIGKILL is in
tests/renewals/test_robustness.py; a PostgreSQL restart under load in bench/faults.py,
since it would cut every other test's connection.)"""

import logging
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from contracts.services import acceptance
from core import services as core_services
from core.models import OutboundMessage
from offers.models import Offer
from offers.services import building as offer_building
from offers.services import sending as offer_sending
from tests.conftest import wait_for
from tests.contracts.helpers import product
from tests.factories import AccountFactory, ContactFactory
from tests.offers.helpers import ensure_defaults

Status = OutboundMessage.Status


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A Redis of the test's own, on a port of its own, to stop and start at will."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_for(self.up, timeout=10), "redis-server did not start"

    def up(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def _fresh_pools(app):
    app.amqp._producer_pool = None
    app._pool = None


@pytest.fixture
def broker(monkeypatch):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    from kam.celery import app

    broker = Broker()
    broker.start()
    # Celery reads the broker from the environment before its settings
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)
    assert app.connection_for_write().port == broker.port
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    _fresh_pools(app)
    yield broker
    if broker.process.poll() is None:
        broker.stop()
    _fresh_pools(app)


def _ready_offer(kam, n: int) -> Offer:
    account = AccountFactory(
        owner=kam, name=f"Customer {n}", legal_name=f"Customer {n}"
    )
    contact = ContactFactory(account=account, email=f"buyer{n}@customer.example")
    offer = offer_building.offer_create(
        account=account, contact=contact, actor=kam, title=f"Seats {n}",
        valid_until=timezone.localdate() + timedelta(days=30),
    )  # fmt: skip
    offer_building.line_add(option=offer.options.get(), actor=kam,
                            product=product(code=f"S{n}"), quantity=Decimal(3))  # fmt: skip
    return offer


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_offers_sent_while_the_broker_is_down_go_out_once_it_is_back(
    client, cast, broker, settings, caplog
):
    from celery.contrib.testing.worker import start_worker

    from kam.celery import app

    ensure_defaults()  # an earlier transactional test flushed the offer templates
    offers = [_ready_offer(cast.kam, n) for n in range(3)]
    client.force_login(cast.kam)
    # when: Redis stops, and the KAM sends three offers
    broker.stop()
    assert not broker.up()
    caplog.set_level(logging.WARNING, logger="core.queueing")
    for offer in offers:
        started = time.monotonic()
        response = client.post(f"/offers/{offer.pk}/send/", {"follow_up_days": 3})
        # then: the page answers at once and the offer is sent as far as the KAM sees
        assert response.status_code == 302, response.status_code
        assert time.monotonic() - started < 5
        assert client.get(f"/offers/{offer.pk}/").status_code == 200
    assert client.get("/").status_code == 200
    assert set(Offer.objects.values_list("status", flat=True)) == {Offer.Status.SENT}
    waiting = OutboundMessage.objects.filter(status=Status.READY)
    assert waiting.count() == 3 and mail.outbox == []
    assert caplog.text.count("left for the sweep") == 3  # the broker really was gone
    # when: Redis is back, a worker runs and beat's sweep comes round (twice)
    broker.start()
    _fresh_pools(app)
    settings.OUTBOX_SWEEP_AGE_SECONDS = 0
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        from core.tasks import outbox_sweep_task

        outbox_sweep_task.delay()
        assert wait_for(lambda: not waiting.exists(), timeout=30), "not delivered"
        assert core_services.outbox_sweep() == []  # nothing is left to queue
        time.sleep(1)
    # then: every e-mail went out, each once
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        f"buyer{n}@customer.example" for n in range(3)
    ]
    # and the portfolio button tells the truth when the broker is gone again
    broker.stop()
    client.force_login(cast.manager)
    response = client.post("/accounts/portfolio/recompute/", follow=True)
    assert response.status_code == 200
    assert b"cannot be reached" in response.content


class ProviderError(Exception):
    """What anymail raises for an HTTP error from the provider (status_code set)."""

    def __init__(self, status_code: int):
        super().__init__(f"provider answered {status_code}")
        self.status_code = status_code


class Provider:
    """An e-mail backend answering with the given statuses, then 200."""

    answers: list[int] = []
    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        Provider.calls += 1
        if Provider.answers:
            raise ProviderError(Provider.answers.pop(0))
        mail.outbox.extend(messages)
        return len(messages)

    def open(self):
        return True

    def close(self):
        pass


@pytest.fixture
def provider(settings, monkeypatch):
    from kam.celery import app

    # eager mode re-raises Retry when it propagates errors; a worker does not
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    settings.OUTBOX_DELIVERY_BACKEND = "tests.core.test_faults.Provider"
    settings.OUTBOX_MAX_ATTEMPTS = 5
    Provider.answers, Provider.calls = [], 0
    return Provider


def _send(kam, n, django_capture_on_commit_callbacks) -> Offer:
    offer = _ready_offer(kam, n)
    with django_capture_on_commit_callbacks(execute=True):
        offer_sending.offer_send(offer=offer, actor=kam)
    return offer


@pytest.mark.django_db
def test_provider_5xx_is_retried_and_the_email_sent_once(
    cast, provider, django_capture_on_commit_callbacks
):
    # given: the provider answers 503 twice, then 200
    provider.answers = [503, 502]
    # when
    offer = _send(cast.kam, 1, django_capture_on_commit_callbacks)
    # then: three attempts, one e-mail, and the offer shows it as delivered
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts, provider.calls) == (Status.SENT, 3, 3)
    assert len(mail.outbox) == 1
    # a late duplicate of the task changes nothing
    core_services.message_send(message_id=message.pk)
    assert len(mail.outbox) == 1 and provider.calls == 3
    offer.refresh_from_db()
    assert offer.delivery == Offer.Delivery.SENT


@pytest.mark.django_db
def test_provider_4xx_fails_at_once_and_shows_on_the_offer(
    client, cast, provider, django_capture_on_commit_callbacks
):
    # given: the provider refuses the message (422: invalid recipient)
    provider.answers = [422]
    # when
    offer = _send(cast.kam, 2, django_capture_on_commit_callbacks)
    # then: failed after one attempt, no retry loop
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts, provider.calls) == (Status.FAILED, 1, 1)
    assert "422" in message.last_error
    assert mail.outbox == []
    assert core_services.outbox_sweep() == []  # the sweep leaves failed mail alone
    # and the KAM sees it on the offer
    client.force_login(cast.kam)
    page = client.get(f"/offers/{offer.pk}/").content.decode()
    assert ">Not delivered</strong>" in page and "provider answered 422" in page
    offer.refresh_from_db()
    assert offer.delivery == Offer.Delivery.FAILED
    assert cast.kam.notifications.filter(title__startswith="Not delivered").count() == 1


@pytest.mark.django_db
def test_a_contract_whose_sending_the_broker_lost_is_queued_again(cast):
    from contracts.models import Contract
    from contracts.services import signing as contract_signing

    # given: an accepted offer whose contract e-mail never reached the broker
    # (its on-commit hand-off is not run here, as if Redis had been down)
    offer = _ready_offer(cast.kam, 7)
    offer_sending.offer_send(offer=offer, actor=cast.kam)
    acceptance.offer_accept(
        offer=offer, option=offer.options.get(), name="Buyer", ip="192.0.2.1"
    )
    contract = Contract.objects.get(offer=offer)
    assert contract.status == Contract.Status.DRAFT
    # when: the sweep runs, first too early, then 20 minutes later (twice)
    assert contract_signing.unsent_requeue()["contracts"] == []
    later = timezone.now() + timedelta(minutes=20)
    assert contract_signing.unsent_requeue(now=later)["contracts"] == [contract.pk]
    assert contract_signing.unsent_requeue(now=later)["contracts"] == []
    # then: the contract went out, once
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT
    sent = OutboundMessage.objects.filter(
        to=["buyer7@customer.example"], subject__contains=contract.number
    )
    assert sent.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "status"),
    [(OperationalError("server closed the connection unexpectedly"), 503),
     (RuntimeError("a bug"), 500)],
)  # fmt: skip
def test_a_database_that_cannot_be_reached_gets_a_503_to_retry(
    cast, monkeypatch, error, status
):
    from django.test import Client

    import home.views

    def fail(request):
        raise error

    monkeypatch.setattr(home.views, "_kam_home", fail)
    client = Client(raise_request_exception=False)
    client.force_login(cast.kam)
    response = client.get("/")
    assert response.status_code == status
    body = response.content.decode()
    assert "Traceback" not in body and "server closed" not in body
    if status == 503:
        assert response["Retry-After"] == "5"
        assert "try again in a few seconds" in body
    else:
        assert "Something went wrong" in body
