"""Reads kept for the rest of the request that made them.

A request that asks twice for the same rarely changing rows (the exchange rates, for
the order situation and again for the contracts panel) reads them once. Outside a
request (tasks, commands, the shell) nothing is kept, so a long-running worker never
serves a value read before someone changed it.
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from asgiref.local import Local
from django.core.signals import request_finished, request_started

T = TypeVar("T")
_state = Local()


def per_request(func: Callable[[], T]) -> Callable[[], T]:
    """Decorate a function without arguments: within one request it runs once."""
    key = f"{func.__module__}.{func.__qualname__}"

    @wraps(func)
    def wrapper() -> T:
        memo = getattr(_state, "memo", None)
        if memo is None:  # not in a request
            return func()
        if key not in memo:
            memo[key] = func()
        return memo[key]

    return wrapper


def _start(**kwargs) -> None:
    _state.memo = {}


def _finish(**kwargs) -> None:
    _state.memo = None


request_started.connect(_start, dispatch_uid="core.memo.start")
request_finished.connect(_finish, dispatch_uid="core.memo.finish")
