"""The health score: an explainable retention score from weighted factors.

Every factor gives 0–100; the score is their weighted mean. A factor's share is
the points it adds to the score (weight × factor score / total weight), so the
shares add up to the score.
"""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Account, Touchpoint
from contracts.models import Contract, Invoice
from insights.models import HealthConfig, HealthScore
from planning.models import AccountPlan, FeedbackItem, NpsResponse

OPEN_FEEDBACK = [FeedbackItem.Status.OPEN, FeedbackItem.Status.PLANNED]
ENGAGED_DAYS = 180


def _clamp(value: float) -> int:
    return max(0, min(100, round(value)))


def nps_value(promoters: int, detractors: int, total: int) -> int | None:
    """Net promoter score −100…100 (None without answers)."""
    if not total:
        return None
    return round(100 * (promoters - detractors) / total)


def factor_scores(inputs: dict, cadence_days: int) -> dict[str, int]:
    """Turn the raw inputs of one account into 0–100 per factor."""
    trend = inputs["revenue_trend"]
    nps = inputs["nps"]
    days = inputs["days_since_touch"]
    if days is None:
        touch = 0
    elif days <= cadence_days:
        touch = 100
    else:  # falls to 0 at three times the cadence
        touch = _clamp(100 * (3 * cadence_days - days) / (2 * cadence_days))
    end_days = inputs["days_to_end"]
    if not inputs["running"]:
        end = 0
    elif inputs["standing_order"] or end_days is None:
        end = 100
    else:
        end = (
            20
            if end_days <= 30
            else 50
            if end_days <= 90
            else 80
            if end_days <= 180
            else 100
        )
    return {
        "revenue_trend": 50 if trend is None else _clamp(50 + float(trend)),
        "nps": 50 if nps is None else _clamp((nps + 100) / 2),
        "last_touch": touch,
        "overdue": {0: 100, 1: 50}.get(inputs["overdue"], 0),
        "escalations": {0: 100, 1: 40}.get(inputs["escalations"], 0),
        "contract_end": end,
        "contacts": {0: 0, 1: 40, 2: 70}.get(inputs["contacts"], 100),
    }


def combine(scores: dict[str, int], weights: dict[str, int]) -> tuple[int, dict]:
    total = sum(weights.values()) or 1
    factors = {
        key: {
            "score": scores[key],
            "weight": weights[key],
            "points": round(weights[key] * scores[key] / total, 1),
        }
        for key in scores
    }
    return _clamp(sum(weights[k] * scores[k] for k in scores) / total), factors


def health_inputs(account_ids, *, today: date) -> dict[int, dict]:
    """The raw inputs of every account, in a fixed number of grouped queries."""
    accounts = Account.objects.filter(pk__in=account_ids).only(
        "pk", "tier", "revenue_12m", "revenue_prev_12m", "last_touch_at"
    )
    inputs = {}
    for a in accounts:
        touched = a.last_touch_at
        inputs[a.pk] = {
            "tier": a.tier,
            "revenue_trend": a.revenue_trend,
            "days_since_touch": (
                (today - timezone.localtime(touched).date()).days if touched else None
            ),
            "nps": None,
            "nps_answers": 0,
            "overdue": 0,
            "escalations": 0,
            "running": False,
            "standing_order": False,
            "days_to_end": None,
            "contacts": 0,
            "cadence_days": None,
        }
    for account_id, promoters, detractors, total in (
        NpsResponse.objects.filter(
            account_id__in=account_ids, answered_on__gt=today - timedelta(days=365)
        )
        .order_by()
        .values_list("account_id")
        .annotate(
            p=Count("pk", filter=Q(score__gte=9)),
            d=Count("pk", filter=Q(score__lte=6)),
            n=Count("pk"),
        )
    ):
        inputs[account_id]["nps"] = nps_value(promoters, detractors, total)
        inputs[account_id]["nps_answers"] = total
    for account_id, n in (
        Invoice.objects.filter(
            account_id__in=account_ids, status=Invoice.Status.OVERDUE
        )
        .order_by()
        .values_list("account_id")
        .annotate(n=Count("pk"))
    ):
        inputs[account_id]["overdue"] = n
    for account_id, n in (
        FeedbackItem.objects.filter(
            account_id__in=account_ids,
            kind=FeedbackItem.Kind.ESCALATION,
            status__in=OPEN_FEEDBACK,
        )
        .order_by()
        .values_list("account_id")
        .annotate(n=Count("pk"))
    ):
        inputs[account_id]["escalations"] = n
    for account_id, standing, manual_end in (
        Contract.objects.filter(account_id__in=account_ids, status__in=Contract.RUNNING)
        .order_by()
        .values_list("account_id")
        .annotate(
            standing=Count("pk", filter=Q(auto_renew=True)),
            manual_end=Min("end_on", filter=Q(auto_renew=False)),
        )
    ):
        entry = inputs[account_id]
        entry["running"] = True
        entry["standing_order"] = bool(standing)
        entry["days_to_end"] = (manual_end - today).days if manual_end else None
    for account_id, n in (
        Touchpoint.contacts.through.objects.filter(
            touchpoint__account_id__in=account_ids,
            touchpoint__occurred_at__date__gt=today - timedelta(days=ENGAGED_DAYS),
        )
        .order_by()
        .values_list("touchpoint__account_id")
        .annotate(n=Count("contact_id", distinct=True))
    ):
        inputs[account_id]["contacts"] = n
    for account_id, cadence in AccountPlan.objects.filter(
        account_id__in=account_ids, year=today.year, contact_cadence_days__isnull=False
    ).values_list("account_id", "contact_cadence_days"):
        inputs[account_id]["cadence_days"] = cadence
    return inputs


# A score needs evidence: at least this many of revenue trend, NPS answers, a recorded
# touch and a running contract. A new account has none, and its score would be the
# neutral defaults of absent data (about 42, shown red): it has no score instead.
MIN_EVIDENCE = 2


def evidence(raw: dict) -> int:
    """How many of the factors that need data have some."""
    return sum(
        (
            raw["revenue_trend"] is not None,
            raw["nps_answers"] > 0,
            raw["days_since_touch"] is not None,
            raw["running"],
        )
    )


def health_scores(account_ids, *, today: date, config: HealthConfig | None = None):
    """{account id: (score, factors)} with each factor's value, score and share;
    the score is None where there is not enough data (MIN_EVIDENCE)."""
    config = config or HealthConfig.get()
    weights = config.weights()
    result = {}
    for pk, raw in health_inputs(account_ids, today=today).items():
        cadence = raw["cadence_days"] or config.cadence_days(raw["tier"])
        score, factors = combine(factor_scores(raw, cadence), weights)
        values = {
            "revenue_trend": None
            if raw["revenue_trend"] is None
            else float(raw["revenue_trend"]),
            "nps": raw["nps"],
            "last_touch": raw["days_since_touch"],
            "overdue": raw["overdue"],
            "escalations": raw["escalations"],
            "contract_end": raw["days_to_end"],
            "contacts": raw["contacts"],
        }
        for key, entry in factors.items():
            entry["value"] = values[key]
        factors["last_touch"]["cadence"] = cadence
        factors["contract_end"]["standing_order"] = raw["standing_order"]
        factors["contract_end"]["running"] = raw["running"]
        factors["nps"]["answers"] = raw["nps_answers"]
        result[pk] = (score if evidence(raw) >= MIN_EVIDENCE else None, factors)
    return result


def latest_score(*, on_or_before: date | None = None) -> Subquery:
    """The account's most recent health score (optionally as of a day)."""
    scores = HealthScore.objects.filter(account=OuterRef("pk"))
    if on_or_before is not None:
        scores = scores.filter(computed_on__lte=on_or_before)
    return Subquery(scores.order_by("-computed_on").values("score")[:1])


def key_account_scores(accounts) -> QuerySet:
    """Key accounts with their latest score (`score`), weakest first, unscored last."""
    return (
        accounts.filter(is_key_account=True)
        .annotate(score=latest_score())
        .order_by(F("score").asc(nulls_last=True), "name")
    )


def score_bands(scores: QuerySet, bands) -> tuple[list[int], int]:
    """How many of `key_account_scores` fall in each (low, high) band, and how many
    there are in all: one query."""
    counts = scores.order_by().aggregate(
        total=Count("pk"),
        **{
            f"band{i}": Count("pk", filter=Q(score__gte=low, score__lte=high))
            for i, (low, high) in enumerate(bands)
        },
    )
    return [counts[f"band{i}"] for i in range(len(bands))], counts["total"]


def early_warnings(accounts, *, today: date, config: HealthConfig | None = None):
    """Key accounts whose latest score fell by the configured drop or more."""
    config = config or HealthConfig.get()
    cutoff = today - timedelta(days=config.warning_days)
    rows = (
        accounts.filter(is_key_account=True)
        .annotate(
            score_now=latest_score(), score_then=latest_score(on_or_before=cutoff)
        )
        .filter(score_now__isnull=False, score_then__isnull=False)
    )
    fallen = []
    for a in rows.order_by("score_now", "name"):
        a.change = a.score_now - a.score_then
        if -a.change >= config.warning_drop:
            fallen.append(a)
    return fallen


def score_history(account_id: int, *, days: int = 180):
    since = timezone.localdate() - timedelta(days=days)
    return list(
        HealthScore.objects.filter(account_id=account_id, computed_on__gte=since)
        .order_by("computed_on")
        .values_list("computed_on", "score")
    )


def nps_by_month(accounts: Q, *, start: date, end: date) -> list[dict]:
    """NPS per month of answer (promoters − detractors, in points) of the answers
    `accounts` (a condition on their account) selects."""
    months = defaultdict(lambda: [0, 0, 0])
    for answered_on, score in NpsResponse.objects.filter(
        accounts, answered_on__gte=start, answered_on__lte=end
    ).values_list("answered_on", "score"):
        entry = months[answered_on.replace(day=1)]
        entry[0] += score >= 9
        entry[1] += score <= 6
        entry[2] += 1
    return [
        {"month": m, "nps": nps_value(*months[m]), "answers": months[m][2]}
        for m in sorted(months)
    ]


def nps_by_team(accounts: Q, *, start: date, end: date) -> list[dict]:
    rows = (
        NpsResponse.objects.filter(
            accounts, answered_on__gte=start, answered_on__lte=end
        )
        .order_by()
        .values_list("account__owner__team__name")
        .annotate(
            p=Count("pk", filter=Q(score__gte=9)),
            d=Count("pk", filter=Q(score__lte=6)),
            n=Count("pk"),
            last=Max("answered_on"),
        )
    )
    return sorted(
        (
            {"team": team or "—", "nps": nps_value(p, d, n), "answers": n, "last": last}
            for team, p, d, n, last in rows
        ),
        key=lambda r: r["team"],
    )
