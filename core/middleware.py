from django.db import connection
from django.http import JsonResponse


class HealthCheckMiddleware:
    """Answer /healthz before host checks and redirects, for container probes."""

    path = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != self.path:
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:  # any database failure means unhealthy
            return JsonResponse(
                {"status": "error", "error": str(exc)[:200]}, status=503
            )
        return JsonResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def client_ip(request) -> str | None:
    """The address recorded with a customer's answer or signature (the proxy in
    front of gunicorn sets REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR")


# what a signed-in session knows of its second factor (core.two_factor):
# "verified" (passed this session), "none" (the user had no authenticator) or
# "sso" (company sign-in: the identity provider is in charge of it)
TWO_FACTOR = "kam_2fa"
# pages a user who still owes the second factor may open
TWO_FACTOR_OPEN = ("/auth/", "/static/", "/i18n/", "/favicon.ico", "/portal/")


class TwoFactorMiddleware:
    """A user with an authenticator must have passed it in this session; a user
    whose role requires one (KAM_TWO_FACTOR_REQUIRED_ROLES) must set it up first.
    Covers every page, the admin's too. Whether the user has a second factor is
    read with the user (core.auth): no query of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or request.path.startswith(TWO_FACTOR_OPEN):
            return self.get_response(request)
        from django.contrib.auth import logout
        from django.shortcuts import redirect

        from core import two_factor

        if request.session.get(TWO_FACTOR) == "sso":  # the provider checked it
            return self.get_response(request)
        has = getattr(user, "has_two_factor", None)  # read with the user
        if has is None:  # a user read some other way
            has = two_factor.has_device(user)
        if has and request.session.get(TWO_FACTOR) != "verified":
            logout(request)  # a session that skipped the code: sign in again
            return redirect("login")
        if not has and two_factor.required_for(user):
            return redirect("two-factor-setup")
        return self.get_response(request)
