"""Project-wide middleware: a request id for the logs and the event log, a 400 for URLs with a NUL,
and the security headers that Django does not set itself (Content-Security-Policy, Permissions-Policy).
killer/early.py runs those that add headers on the answers it gives before Django."""

import re
import uuid

from django.core.exceptions import BadRequest

from game import audit

# What we accept from a proxy's or a client's X-Request-ID: short, and nothing that could forge a
# log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_for(request):
    """The client's or proxy's X-Request-ID when it looks sane, else a new one."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_for(request)
        token = audit.request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            audit.request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


def _policy(style_src):
    return "; ".join(
        [
            "default-src 'self'",
            # No inline scripts anywhere: the pages' and the admin's scripts are static files.
            "script-src 'self'",
            f"style-src {style_src}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


PLAYER_POLICY = _policy("'self'")
# The admin's own templates and ours under /admin/ use a few style="" attributes.
ADMIN_POLICY = _policy("'self' 'unsafe-inline'")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = ADMIN_POLICY if request.path.startswith("/admin/") else PLAYER_POLICY
        response.setdefault("Content-Security-Policy", policy)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RefuseNulMiddleware:
    """A NUL in a URL is never legitimate, and PostgreSQL refuses it in a query (a 500 in any search or
    filter of the admin): a 400 at the door instead. Forms already refuse it in their fields."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL in the URL")
        return self.get_response(request)
