from django.urls import path

from game import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_page, name="login"),
    path("login/<str:code>/", views.old_login_link, name="old_login_link"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.dashboard, name="dashboard"),
    path("me/notices/", views.notices_page, name="notices"),
    path("me/declare/", views.declare, name="declare"),
    path("me/death-code/", views.death_code, name="death_code"),
    path("me/death/", views.report_death, name="report_death"),
    path("me/kills/<int:kill_id>/confirm/", views.confirm, name="confirm"),
    path("me/kills/<int:kill_id>/deny/", views.deny, name="deny"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("results/", views.results, name="results"),
    path("rules/", views.rules_page, name="rules"),
    path("recap/<int:game_id>/", views.recap_page, name="recap"),
    path("api/login", api.login, name="api_login"),
    path("api/logout", api.logout, name="api_logout"),
    path("api/me", api.me, name="api_me"),
    path("api/leaderboard", api.leaderboard, name="api_leaderboard"),
    path("api/feed", api.feed, name="api_feed"),
    path("api/kills", api.kills, name="api_kills"),
    path("api/kills/<int:kill_id>/confirm", api.kill_confirm, name="api_kill_confirm"),
    path("api/kills/<int:kill_id>/deny", api.kill_deny, name="api_kill_deny"),
    path("api/death", api.death, name="api_death"),
]
