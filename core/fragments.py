"""HTML fragments kept in the cache under a key that changes with what they show.

A fragment's key names everything its HTML depends on: an account's version
(`accounts.versions`, raised by the database with any write concerning the
account), or the sums of several accounts' versions; and always the language, the
time zone and the day (dates and words are the reader's). Nothing invalidates a
fragment: a change makes a new key, and the old entry expires
(KAM_PANEL_CACHE_SECONDS bounds how long anything not in the key, such as a
product's renamed family, can show unchanged).
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation


def fragment(name: str, parts: tuple, render: Callable[[], str]) -> str:
    """The fragment `name` for `parts`, from the cache or rendered (and kept)."""
    reader = (
        translation.get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate(),
    )
    text = repr((*parts, *reader))
    key = f"kam:fragment:{name}:{hashlib.sha256(text.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, settings.KAM_PANEL_CACHE_SECONDS)
    return html
