from django.contrib import admin
from django.urls import include, path

from killer.views import health, ping

urlpatterns = [
    path("health", health, name="health"),
    path("api/ping", ping, name="ping"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("game.urls")),
]
