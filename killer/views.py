from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def health(request):
    """200 when the database answers, 503 otherwise: for load balancers and deploy checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def ping(request):
    """The cheapest Django view, through the same middleware: the load tests' yardstick for /api/me."""
    return JsonResponse({"ok": True})
