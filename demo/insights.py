"""Demo: NPS answers and advisory-board feedback, churn targets, health scores with
some history (two key accounts falling), and the upsell affinities."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account
from core.models import Team, User
from insights.models import HealthScore
from insights.services.affinity import affinity_recompute
from insights.services.health import health_recompute
from insights.services.targets import churn_target_set
from insights.services.upsell import upsell_recompute
from planning.models import NpsResponse
from planning.services import plans, voice

COMMENTS = ["", "Responsive team.", "Prices went up again.",
            "The archive search is slow.", "Great onboarding."]  # fmt: skip
FEEDBACK = [
    ("cab", "Single sign-on for the archive"),
    ("request", "Usage statistics per department"),
    ("escalation", "Invoices sent to the wrong cost centre"),
    ("cab", "Earlier access to the annual outlook"),
]


def seed(ctx) -> None:
    if NpsResponse.objects.exists():
        return
    rng = ctx.rng
    today = timezone.localdate()
    keys = list(
        Account.objects.filter(is_key_account=True)
        .select_related("owner")
        .prefetch_related("contacts")
        .order_by("pk")[:40]
    )
    for i, account in enumerate(keys):
        contacts = list(account.contacts.all())
        for month in range(0, 12, 3):
            score = min(10, max(0, round(rng.gauss(8 if i % 5 else 5, 1.8))))
            voice.nps_record(
                actor=account.owner,
                account=account,
                score=score,
                contact=contacts[month % len(contacts)] if contacts else None,
                comment=rng.choice(COMMENTS),
                answered_on=today - timedelta(days=30 * month + rng.randint(0, 20)),
            )  # fmt: skip
        if i % 4 == 0:
            kind, title = FEEDBACK[(i // 4) % len(FEEDBACK)]
            voice.feedback_create(
                actor=account.owner, account=account, kind=kind, title=title,
                raised_on=today - timedelta(days=rng.randint(3, 60)),
            )  # fmt: skip
    manager = User.objects.filter(username="manager").first()
    admin = User.objects.filter(username="admin").first()
    if admin:
        churn_target_set(actor=admin, year=today.year, team=None,
                         reduction_percent=Decimal(25))  # fmt: skip
    if manager:
        for team in Team.objects.filter(manager=manager):
            churn_target_set(actor=manager, year=today.year, team=team,
                             reduction_percent=Decimal(25))  # fmt: skip
    _plans(keys[:3], today)
    affinity_recompute(today=today)
    upsell_recompute(today=today)
    health_recompute(today=today)
    # a history: scores 5 weeks ago; two key accounts were doing clearly better
    history = []
    for n, score in enumerate(
        HealthScore.objects.filter(account__in=keys, computed_on=today).order_by(
            "account_id"
        )
    ):
        before = score.score + (18 if n in (1, 6) else rng.randint(-4, 4))
        for weeks in (5, 10):
            history.append(
                HealthScore(
                    account_id=score.account_id,
                    computed_on=today - timedelta(weeks=weeks),
                    score=max(0, min(100, before)),
                    factors={},
                )
            )
    HealthScore.objects.bulk_create(history, ignore_conflicts=True)


def _plans(accounts, today) -> None:
    """This year's plans: the first agreed, with objectives, actions and a review."""
    for n, account in enumerate(accounts):
        owner = account.owner
        plan = plans.plan_create(actor=owner, account=account, year=today.year)
        # 10 % above the last 12 months, in whole thousands
        target = max(round(account.revenue_12m * Decimal("1.1") / 1000), 24) * 1000
        target = Decimal(target)
        plans.plan_update(
            actor=owner, plan=plan, months=[Decimal(0)] * 12, revenue_target=target,
            budget=Decimal("2500"),
            summary="Broaden the subscription from the newsroom to the whole group.",
            strengths="Daily use by 300 editors\nLong relationship with the CFO",
            weaknesses="Only one champion\nArchive unused",
            opportunities="Group-wide licence\nData feed for the research unit",
            threats="Budget freeze announced\nCompetitor pilot in the marketing team",
        )  # fmt: skip
        plans.objective_add(
            actor=owner, plan=plan, title="Digital share of revenue",
            metric="% of revenue", target_value=Decimal(40), actual_value=Decimal(28),
            due_on=date(today.year, 12, 31),
        )  # fmt: skip
        plans.objective_add(
            actor=owner, plan=plan, title="Engaged contacts in the buying center",
            metric="contacts", target_value=Decimal(6), actual_value=Decimal(4),
        )  # fmt: skip
        plans.action_add(
            actor=owner, plan=plan, kind="campaign", owner=owner,
            title="Archive webinar for the research unit",
            due_on=today + timedelta(days=14 + 7 * n),
        )  # fmt: skip
        if n == 0:
            plans.review_add(
                actor=owner, plan=plan, held_on=today - timedelta(days=40),
                attendees="CFO, head of research, KAM",
                minutes="Data feed pilot agreed for Q1; budget decision in March.",
            )  # fmt: skip
            plans.plan_agree(
                actor=owner,
                plan=plan,
                agreed_on=today - timedelta(days=40),
                contact=account.contacts.first(),
            )
