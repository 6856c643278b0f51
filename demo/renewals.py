"""Demo: the nightly job has run today; one lost account has a recorded reason."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import Account
from renewals.models import Churn, RenewalRun
from renewals.services import churn as churn_services
from renewals.services import run


def seed(ctx) -> None:
    if RenewalRun.objects.exists():
        return
    today = timezone.localdate()
    run.renewals_run(business_date=today, catch_up=False, trigger="command")
    # an account lost last spring, with its reason and a win-back in the making
    account = (
        Account.objects.filter(
            owner__username="kam", lifecycle=Account.Lifecycle.CUSTOMER
        )
        .exclude(contracts__isnull=False)
        .exclude(offers__isnull=False)
        .order_by("pk")
        .first()
    )
    if account is None:
        return
    Account.objects.filter(pk=account.pk).update(lifecycle=Account.Lifecycle.LOST)
    churn = Churn.objects.create(
        account=account,
        lost_on=today - timedelta(days=210),
        lost_arr=account.revenue_12m or 24000,
        currency=account.currency,
    )
    churn_services.churn_reason_record(
        churn=churn,
        actor=ctx.users["kam"],
        reason=Churn.Reason.COMPETITOR,
        note="Moved to a cheaper competitor with a three-year deal; our champion "
        "left in March. Their contract with the competitor ends next autumn.",
    )
