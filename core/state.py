"""State machines: the one way an object moves from one status to the next, and the
one way rows are locked for a change.

A model with a state machine declares `Status` (TextChoices), `TRANSITIONS`
({from: {to, ...}}) and `TRANSITION_REFUSED` (the message, with `%(status)s` and
`%(to)s`). When its changes are recorded, a `core.models.StatusEvent` subclass
points at it with `related_name="events"`; `transition` writes that row. Services
call `transition` inside their transaction, after `lock` (Saleor's lock_objects,
Oscar's set_status):

    offer = state.lock(offer, "account")
    state.transition(offer, Offer.Status.SENT, actor=actor)
    offer.save(update_fields=["status", ...])
"""

from collections.abc import Iterable

from django.db.models import Model, QuerySet
from django.utils import timezone

from core.bulk import history_snapshot
from core.exceptions import ApplicationError


def can_become(obj: Model, to: str) -> bool:
    """Tell whether `obj` may move from its status to `to`."""
    return to in type(obj).TRANSITIONS.get(obj.status, ())


def refusal(obj: Model, to: str) -> str:
    """The message for a refused move of `obj` to `to`."""
    return _refused(type(obj), obj.status, to)


def _refused(model, source: str, target: str) -> str:
    return model.TRANSITION_REFUSED % {
        "status": model.Status(source).label,
        "to": model.Status(target).label,
    }


def event_model(model: type[Model]):
    """The StatusEvent model recording `model`'s changes, or None."""
    from core.models import StatusEvent

    events = getattr(model, "events", None)
    related = getattr(getattr(events, "rel", None), "related_model", None)
    if related is not None and issubclass(related, StatusEvent):
        return related
    return None


def transition(obj: Model, to: str, *, actor=None, comment="") -> None:
    """Move `obj` to `to` if its TRANSITIONS allow it, recording the event (if the
    model records events); the caller saves `obj`. `comment` may be a `Later`."""
    if not can_become(obj, to):
        raise ApplicationError(refusal(obj, to))
    events = event_model(type(obj))
    if events is not None:
        events.objects.create(
            **{events.events_field(): obj},
            from_status=obj.status,
            to_status=to,
            actor=actor,
            comment=comment,
        )
    obj.status = to


def transition_bulk(
    model: type[Model],
    moves: Iterable[tuple[int, str, str]],
    *,
    comment="",
    at=None,
    actor=None,
    history_reason: str | None = None,
) -> list[int]:
    """Move many rows at once, for the nightly jobs: each (pk, from, to) must be
    allowed by TRANSITIONS (else an ApplicationError names it and nothing moves);
    then one UPDATE per target status, one event row per move (if the model
    records events) and, with `history_reason`, one history row per moved row.
    The caller has locked the rows (lock_all) and owns the transaction. Returns
    the moved ids."""
    moves = list(moves)
    for _pk, source, target in moves:
        if target not in model.TRANSITIONS.get(source, ()):
            raise ApplicationError(_refused(model, source, target))
    if not moves:
        return []
    at = at or timezone.now()
    targets: dict[str, list[int]] = {}
    for pk, _source, target in moves:
        targets.setdefault(target, []).append(pk)
    for target, ids in targets.items():
        model._default_manager.filter(pk__in=ids).update(status=target, updated_at=at)
    events = event_model(model)
    if events is not None:
        events.objects.bulk_create(
            events(**{f"{events.events_field()}_id": pk}, from_status=source,
                   to_status=target, at=at, actor=actor, comment=comment)
            for pk, source, target in moves
        )  # fmt: skip
    ids = [pk for pk, _s, _t in moves]
    if history_reason is not None and hasattr(model, "history"):
        history_snapshot(
            model, ids, history_type="~", reason=history_reason, at=at,
            user_id=getattr(actor, "pk", None),
        )  # fmt: skip
    return ids


def lock(obj: Model, *related: str) -> Model:
    """Lock `obj`'s row for a change and read it afresh (with `related` joined; only
    its own row is locked)."""
    return (
        type(obj)
        ._default_manager.select_for_update(of=("self",))
        .select_related(*related)
        .get(pk=obj.pk)
    )


def lock_all(queryset: QuerySet, *related: str) -> list[Model]:
    """Lock the rows of `queryset` in primary-key order (two sessions locking
    overlapping sets then never wait for each other in a circle)."""
    return list(
        queryset.select_for_update(of=("self",)).select_related(*related).order_by("pk")
    )


def moves(model: type[Model]) -> Iterable[tuple[str, str, bool]]:
    """Every (from, to, allowed) pair of `model`'s state machine, for tests and
    documentation."""
    for source in model.Status.values:
        for target in model.Status.values:
            yield source, target, target in model.TRANSITIONS.get(source, ())
