from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
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


def admin_login(request):
    """Django's admin login, with limits on failed passwords (game/ratelimit.py)."""
    if request.method != "POST":
        return admin.site.login(request)
    keys = ratelimit.admin_keys(request, request.POST.get("username"))
    try:
        ratelimit.check(keys)
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
    response = admin.site.login(request)
    # The form shown again (200) is a wrong password; a redirect is a success, a 403 a CSRF failure.
    if response.status_code == 200 and not request.user.is_authenticated:
        ratelimit.fail(keys)
    return response
