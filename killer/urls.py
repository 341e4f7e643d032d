from django.contrib import admin
from django.urls import include, path

from killer.views import admin_login, favicon, health, ping

urlpatterns = [
    path("health", health, name="health"),
    path("favicon.ico", favicon),
    # Before admin.site.urls, so that the admin's own login page is the rate-limited one.
    path("admin/login/", admin_login, name="admin_login"),
    path("api/ping", ping, name="ping"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("game.urls")),
]

handler400 = "killer.views.bad_request"
handler403 = "killer.views.permission_denied"
handler404 = "killer.views.page_not_found"
handler500 = "killer.views.server_error"
