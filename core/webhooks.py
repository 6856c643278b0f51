"""The e-mail provider's webhooks (anymail) fail closed.

anymail checks the webhook secret only when one is set: with none it takes every post,
so anybody could mark an offer "bounced" or put a forged reply on an account. Here
every webhook view is wrapped:

* no secret configured: 403 to every call (production does not start without one);
* a missing or wrong HTTP basic auth: 401, with the realm to answer;
* a body the provider's parser cannot read: 400, logged, nothing changed.

* a provider that signs its webhooks, without its key in `ANYMAIL`: 403 naming the
  setting (core/webhook_signing.py), since anymail would then check nothing.

anymail then checks the secret again and, where the provider signs, the signature.
"""

from __future__ import annotations

import json
import logging
from functools import wraps

from anymail import urls as anymail_urls
from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailError,
    AnymailImproperlyInstalled,
)
from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from core.webhook_signing import SIGNED_ENDPOINTS

log = logging.getLogger(__name__)
REALM = 'Basic realm="KAM webhooks"'
UNREADABLE = (
    AnymailError,
    AnymailConfigurationError,
    AnymailImproperlyInstalled,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
)


def webhook_secret() -> str:
    return (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET") or ""


def _basic_auth(request) -> str:
    import base64

    kind, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if kind.lower() != "basic":
        return ""
    try:
        return base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


def guarded(view, name: str = ""):
    """Wrap an anymail webhook view: fail closed (no secret, or a signing provider
    without its key), 401 without the secret, 400 on a body it cannot read."""
    key = SIGNED_ENDPOINTS.get(name, "")

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        secret = webhook_secret()
        if not secret:
            return HttpResponse(
                "Webhooks are off: set ANYMAIL_WEBHOOK_SECRET.", status=403
            )
        if key and not (getattr(settings, "ANYMAIL", None) or {}).get(key):
            return HttpResponse(
                f"This provider signs its webhooks: set {key}.", status=403
            )
        if request.method != "HEAD" and not constant_time_compare(
            _basic_auth(request), secret
        ):
            response = HttpResponse("Authentication required.", status=401)
            response["WWW-Authenticate"] = REALM
            return response
        try:
            return view(request, *args, **kwargs)
        except UNREADABLE as exc:
            # the provider's parser met a body it does not know (json.JSONDecodeError
            # is a ValueError; anymail calls an event on the wrong endpoint a
            # configuration error; a provider whose package is missing cannot
            # parse at all): nothing was applied
            log.warning(
                "Refused a webhook body at %s: %s: %s",
                request.path,
                type(exc).__name__,
                exc,
                exc_info=not isinstance(exc, json.JSONDecodeError),
            )
            return HttpResponse("This body cannot be read.", status=400)

    return wrapper


def urlpatterns() -> list[URLPattern]:
    """anymail's webhook URLs, each behind `guarded`."""
    return [
        URLPattern(p.pattern, guarded(p.callback, p.name), p.default_args, p.name)
        for p in anymail_urls.urlpatterns
    ]
