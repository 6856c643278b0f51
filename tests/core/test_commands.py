import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from accounts.models import Account
from core.models import Team, User
from core.roles import Role

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        Account.objects.values_list(
            "name", "owner__username", "deputy__username", "country"
        )
    )


def test_roles_are_created_by_the_data_migration():
    names = set(Group.objects.values_list("name", flat=True))
    assert {r.value for r in Role} <= names
    kam_perms = set(
        Group.objects.get(name=Role.KEY_ACCOUNT_MANAGER).permissions.values_list(
            "codename", flat=True
        )
    )
    assert "view_account" in kam_perms
    assert "delete_account" not in kam_perms


def test_seed_demo_is_deterministic_and_idempotent():
    seed = ["seed_demo", "--seed", "7", "--password", "pw-123456"]
    call_command(*seed, stdout=StringIO())
    first = snapshot()
    call_command(*seed, stdout=StringIO())
    assert snapshot() == first
    # 40 + 30 + 25 key-account-team accounts, 20 outbound, 2 from sales handoffs
    assert len(first) == 117
    from accounts.models import Contact, OrderLine, Task
    from catalog.models import Package

    assert Contact.objects.count() > 400
    assert OrderLine.objects.count() > 1000
    assert Task.objects.filter(done_at__isnull=True).exists()
    assert Package.objects.count() == 3
    from contracts.models import Contract, Invoice, Subscription

    assert {
        "draft",
        "sent",
        "signed",
        "finalized",
        "active",
        "cancelled",
        "ended",
    } <= set(Contract.objects.values_list("status", flat=True))
    assert {"issued", "sent", "paid", "overdue", "cancelled"} <= set(
        Invoice.objects.values_list("status", flat=True)
    )
    assert {"trial", "active"} <= set(
        Subscription.objects.values_list("status", flat=True)
    )
    assert set(Account.objects.values_list("tier", flat=True)) == {"A", "B", "C"}
    for username in ["kam", "kam2", "kam3", "manager", "cs", "admin"]:
        user = User.objects.get(username=username)
        assert user.check_password("pw-123456")
    assert (
        User.objects.get(username="kam").team == User.objects.get(username="kam2").team
    )
    assert (
        User.objects.get(username="kam3").team != User.objects.get(username="kam").team
    )
    assert Team.objects.get(name="Team North").manager.username == "manager"
    assert User.objects.get(username="cs").primary_role == Role.CUSTOMER_SERVICES
    assert User.objects.get(username="admin").is_superuser


def test_seed_demo_if_empty_keeps_existing_data(capsys):
    User.objects.create_user("someone", password="x-123456")
    call_command("seed_demo", "--if-empty")
    assert not Account.objects.exists()
    assert "not loaded" in capsys.readouterr().out


def test_seed_demo_refuses_production(settings):
    settings.KAM_ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_setup_periodic_tasks_is_idempotent():
    call_command("setup_periodic_tasks", stdout=StringIO())
    call_command("setup_periodic_tasks", stdout=StringIO())
    task = PeriodicTask.objects.get(name="outbox-sweep")
    assert task.task == "core.tasks.outbox_sweep_task"
    assert task.interval.every == 60
    assert PeriodicTask.objects.filter(name="outbox-sweep").count() == 1
    digest = PeriodicTask.objects.get(name="task-digest")
    assert (digest.crontab.hour, digest.crontab.minute) == ("7", "0")
    assert PeriodicTask.objects.get(name="task-reminders").interval.every == 60
    assert PeriodicTask.objects.get(name="portfolio-recompute").crontab.hour == "2"


PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 60,
    "DJANGO_ALLOWED_HOSTS": "kam.example.com",
    "DATABASE_URL": "postgres://kam@127.0.0.1:5432/kam",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DEFAULT_FROM_EMAIL": "kam@kam.example.com",
    "OUTBOX_DELIVERY_BACKEND": "anymail.backends.postmark.EmailBackend",
    "KAM_BASE_URL": "https://kam.example.com",
    "ANYMAIL_WEBHOOK_SECRET": "kam:webhook-secret-for-tests",
}


def run_django_setup(*, without=None, **values):
    """Start Django under production settings with all variables but `without`."""
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env |= {k: v for k, v in PRODUCTION_ENV.items() if k != without} | values
    env["DJANGO_SETTINGS_MODULE"] = "kam.settings.production"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_settings_name_a_missing_variable(missing):
    result = run_django_setup(without=missing)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_settings_load_with_every_variable():
    result = run_django_setup()
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize(
    "value", ["kam.example.com", "ftp://kam.example.com", "https://"]
)
def test_production_refuses_a_base_url_that_is_no_address(value):
    result = run_django_setup(KAM_BASE_URL=value)
    assert result.returncode != 0
    assert "KAM_BASE_URL must be the address people open KAM at" in result.stderr
    assert repr(value) in result.stderr


@pytest.mark.parametrize("value", ["nocolon-but-long-enough", "a:b"])
def test_production_refuses_a_weak_webhook_secret(value):
    result = run_django_setup(ANYMAIL_WEBHOOK_SECRET=value)
    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET must be user:password" in result.stderr


def test_production_refuses_a_signing_provider_without_its_key():
    backend = "anymail.backends.mailgun.EmailBackend"
    result = run_django_setup(OUTBOX_DELIVERY_BACKEND=backend)
    assert result.returncode != 0
    assert f"{backend} signs its webhooks: set MAILGUN_WEBHOOK_SIGNING_KEY" in (
        result.stderr
    )
    signed = run_django_setup(
        OUTBOX_DELIVERY_BACKEND=backend, MAILGUN_WEBHOOK_SIGNING_KEY="key-123"
    )
    assert signed.stdout.strip() == "ok", signed.stderr
