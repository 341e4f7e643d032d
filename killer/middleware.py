"""Project-wide middleware: a request id for the logs and the event log, a 400 for URLs with a NUL,
and the security headers that Django does not set itself (Content-Security-Policy, Permissions-Policy).
Also what an answer given before Django's handler (killer/wsgi.py) goes through instead."""

import re
import uuid

from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost
from django.utils.module_loading import import_string

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


# The middleware that only add headers on the way out (or redirect to HTTPS, which an early answer
# never needs: see may_answer_early).
HEADER_MIDDLEWARE = [
    "killer.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "killer.middleware.SecurityHeadersMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def may_answer_early(request):
    """Whether Django would have let `request` reach a view: an allowed Host, and HTTPS where
    SECURE_SSL_REDIRECT would send it there first."""
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return request.is_secure() or not settings.SECURE_SSL_REDIRECT


def early_headers(request, language, response):
    """The headers of `response`, an API answer given without Django's handler, with what the
    middleware would add or change. For answers of one kind (the 304 of a poll) in a language, over
    HTTP or over HTTPS, that is always the same: run once through the middleware themselves, then
    remembered (but the request id)."""
    key = (request.is_secure(), language)
    own = dict(response.items())
    if key not in _added_headers:
        request.early_response = response
        chain = _early_response
        for path in reversed(settings.MIDDLEWARE):
            if path in HEADER_MIDDLEWARE:
                chain = import_string(path)(chain)
        dressed = chain(request).items()
        _added_headers[key] = {
            name: value for name, value in dressed if own.get(name) != value and name != "X-Request-ID"
        }
    return [*{**own, **_added_headers[key]}.items(), ("X-Request-ID", request_id_for(request))]


_added_headers = {}  # (HTTPS, language) -> {header: value}


def _early_response(request):
    return request.early_response
