"""Project-wide middleware: a request id for the logs and the event log, and the security headers
that Django does not set itself (Content-Security-Policy, Permissions-Policy)."""

import re
import uuid

from game import audit

# What we accept from a proxy's or a client's X-Request-ID: short, and nothing that could forge a
# log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
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
