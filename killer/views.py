from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from game import ratelimit


@never_cache
def health(request):
    """200 when the database answers, 503 otherwise: for load balancers and deploy checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def favicon(request):
    """Browsers ask for /favicon.ico on the pages that name no icon (the admin's)."""
    return HttpResponsePermanentRedirect(static("game/favicon.svg"))


def admin_login(request):
    """Django's admin login, with limits on failed passwords and a device cookie at each success
    (game/ratelimit.py)."""
    if request.method != "POST":
        return admin.site.login(request)
    keys = ratelimit.admin_keys(request, request.POST.get("username"))
    try:
        ratelimit.take(keys)
    except ratelimit.RateLimited as limited:
        # Not each_context(): its app list is work that an attacker's every request would cost us.
        context = {
            "site_header": admin.site.site_header,
            "site_title": admin.site.site_title,
            "title": _("Too many attempts"),
            "message": limited.message,
        }
        response = TemplateResponse(request, "admin/too_many.html", context, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    try:
        response = admin.site.login(request)
    except BaseException:
        ratelimit.give_back(keys)
        raise
    # The form shown again (200) is a wrong password, which stays counted; a redirect is a success,
    # a 403 a CSRF failure.
    if response.status_code != 200 or request.user.is_authenticated:
        ratelimit.give_back(keys)
    if request.user.is_authenticated:
        ratelimit.admin_trust_device(response, request.user)
    return response


# Django's error handlers, with JSON for the API: a script gets {"error": ...} whatever went wrong,
# and nobody gets a traceback (DEBUG is off in production; the 500 page shows nothing internal).
def bad_request(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": _("Bad request.")}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": _("Not allowed.")}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": _("Internal error")}, status=500)
    return defaults.server_error(request)


def ping(request):
    """The cheapest Django view, through the same middleware: the load tests' yardstick for /api/me."""
    return JsonResponse({"ok": True})
