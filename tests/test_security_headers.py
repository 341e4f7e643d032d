"""Headers on every answer, error pages that reveal nothing, and a production configuration that
`check --deploy` finds nothing wrong with."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.utils import get_random_secret_key
from django.test import Client, override_settings

from game import api
from tests.conftest import login

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_player_pages_send_the_security_headers(client, cast):
    login(client, cast.killer)
    for path in ("/", "/me/", "/leaderboard/", "/rules/", "/api/me", "/api/feed"):
        response = client.get(path, follow=True)
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["Referrer-Policy"] == "same-origin", path
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path


def test_the_admin_allows_inline_styles_but_no_inline_scripts(client, game_master):
    client.force_login(game_master)
    response = client.get("/admin/")
    assert response.status_code == 200
    directives = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Strict-Transport-Security",
    "X-Request-ID",
)


@override_settings(DEBUG=False, SECURE_HSTS_SECONDS=3600, DATA_UPLOAD_MAX_MEMORY_SIZE=4096)
def test_every_error_answer_carries_the_security_headers(cast, monkeypatch):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    player = login(Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False), cast.killer)
    answers = {
        "400 NUL in the path": client.get("/rules/%00", secure=True),
        "400 NUL in the query": client.get("/admin/game/player/?q=%00", secure=True),
        "400 unknown Host": client.get("/", HTTP_HOST="evil.example", secure=True),
        "400 API body": player.post("/api/kills", "[]", content_type="application/json", secure=True),
        "403 CSRF": Client(enforce_csrf_checks=True).post("/api/login", {}, secure=True),
        "404 page": client.get("/no/such/page/", secure=True),
        "404 API": client.get("/api/nothing-here", secure=True),
        "405 page": client.get("/logout/", secure=True),
        "405 API": client.get("/api/kills", secure=True),
        "413 API": player.post(
            "/api/kills", '{"code": "' + "A" * 5000 + '"}', content_type="application/json", secure=True
        ),
    }
    wrong = {"code": "AAAA-AAAA-AAAA"}
    for _ in range(20):
        limited = client.post("/api/login", wrong, content_type="application/json", secure=True)
        if limited.status_code == 429:
            break
    answers["429 API"] = limited
    monkeypatch.setattr("game.views.visible.me", lambda player: 1 / 0)
    answers["500 page"] = player.get("/me/", secure=True)
    for what, response in answers.items():
        assert response.status_code == int(what[:3]), what
        missing = [name for name in SECURITY_HEADERS if not response.has_header(name)]
        assert missing == [], what


def inline_scripts(html):
    """<script> elements without src, and on…= handler attributes."""
    blocks = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
    handlers = re.findall(r"\son[a-z]+\s*=", html)
    return blocks + handlers


def test_no_page_has_an_inline_script(client, cast, django_user_model):
    player = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    for path in ("/me/", "/leaderboard/", "/rules/"):
        assert inline_scripts(player.get(path).content.decode()) == [], path
    assert inline_scripts(client.get("/admin/login/").content.decode()) == []
    client.force_login(django_user_model.objects.create_superuser("root", password="root-password"))
    game = cast.game.pk
    for path in (
        "/admin/",
        f"/admin/game/game/{game}/dashboard/",
        f"/admin/game/game/{game}/chain/",
        f"/admin/game/game/{game}/cards/",
        f"/admin/game/game/{game}/change/",
        f"/admin/game/player/{cast.killer.pk}/change/",
        "/admin/game/player/add/",
        "/admin/game/event/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert inline_scripts(response.content.decode()) == [], path


@override_settings(DEBUG=False)
def test_error_pages_reveal_nothing_internal(cast):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    page = client.get("/no/such/page/")
    assert page.status_code == 404
    assert "Page not found" in page.content.decode() or "does not exist" in page.content.decode()
    assert "urlpatterns" not in page.content.decode() and "Traceback" not in page.content.decode()
    api_404 = client.get("/api/nothing-here")
    assert api_404.status_code == 404 and api_404.json() == {"error": "Not found."}
    missing_kill = login(client, cast.killer).post(
        "/api/kills/999999/confirm", content_type="application/json"
    )
    assert missing_kill.status_code == 404 and missing_kill.json() == {"error": "Not found."}


@override_settings(DEBUG=False)
def test_an_unexpected_error_in_the_api_is_a_plain_json_500(cast, monkeypatch):
    def broken(player):
        raise RuntimeError("secret internals: /srv/killer/db.sqlite3")

    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    monkeypatch.setattr(api.visible, "me", broken)
    response = client.get("/api/me")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal error"}
    assert b"secret internals" not in response.content


@override_settings(DEBUG=False)
def test_an_unexpected_error_on_a_page_is_the_plain_500_page(cast, monkeypatch):
    def broken(player):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("game.views.visible.me", broken)
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.post("/", {"code": cast.killer.login_code})
    response = client.get("/me/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_every_answer_has_a_request_id_and_a_sane_one_is_kept(client):
    first = client.get("/rules/")["X-Request-ID"]
    second = client.get("/rules/")["X-Request-ID"]
    assert len(first) == 32 and first != second
    assert client.get("/rules/", HTTP_X_REQUEST_ID="proxy-1234abcd")["X-Request-ID"] == "proxy-1234abcd"
    for forged in ("a\r\nSet-Cookie: x=1", "<script>", "x" * 200, "short"):
        kept = client.get("/rules/", HTTP_X_REQUEST_ID=forged)["X-Request-ID"]
        assert kept != forged and len(kept) == 32


def production_environment():
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "killer.settings"}
    for line in (ROOT / "config/.env.production.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    env["SECRET_KEY"] = get_random_secret_key()  # the example's is a placeholder, refused (killer/checks.py)
    return env


def test_check_deploy_is_clean_with_the_production_example():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
