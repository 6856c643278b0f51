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
