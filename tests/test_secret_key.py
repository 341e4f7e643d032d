"""Without SECRET_KEY the web server refuses to start, and with DEBUG off it refuses a guessable one
(killer/checks.py); commands that sign nothing still run."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.utils import get_random_secret_key

from tests.conftest import free_port

EXAMPLE = settings.BASE_DIR / "config" / ".env.production.example"
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def placeholder():
    """The SECRET_KEY line of config/.env.production.example, as a careless deploy would keep it."""
    return next(line for line in EXAMPLE.read_text().splitlines() if line.startswith("SECRET_KEY="))[11:]


def run(*args, **environment):
    # Set, not removed: the environment wins over a developer's .env.
    env = dict(os.environ, SECRET_KEY="", DEBUG="false", DJANGO_SETTINGS_MODULE="killer.settings")
    env.update(environment)
    return subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_web_server_refuses_to_start_without_a_secret_key():
    result = run("-c", "import killer.wsgi")
    assert result.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in result.stderr


def test_the_web_server_refuses_to_start_with_the_placeholder_of_the_production_example():
    result = run("-c", "import killer.wsgi", SECRET_KEY=placeholder())
    assert result.returncode != 0
    assert "SECRET_KEY is still the placeholder of config/.env.production.example" in result.stderr
    assert "get_random_secret_key()" in result.stderr  # how to make one


def test_the_web_server_refuses_to_start_with_a_short_or_simple_key():
    for key in ("tests-only-secret-key", "ab" * 40, "django-insecure-" + get_random_secret_key()):
        result = run("-c", "import killer.wsgi", SECRET_KEY=key)
        assert result.returncode != 0, key
        assert "SECRET_KEY is too short or too simple" in result.stderr, key


def test_the_web_server_starts_with_a_random_key_and_in_development_without_one():
    assert run("-c", "import killer.wsgi", SECRET_KEY=get_random_secret_key()).returncode == 0
    development = run("-c", "import killer.wsgi", DEBUG="true")  # `make run`: config/.env.example
    assert development.returncode == 0, development.stderr


def test_a_key_starting_with_a_dollar_is_taken_as_it_is():
    # Django's get_random_secret_key() starts one key in fifty with "$", which django-environ would
    # take for the name of another variable.
    key = "$" + get_random_secret_key()[1:]
    result = run("-c", "from django.conf import settings; print(settings.SECRET_KEY)", SECRET_KEY=key)
    assert result.stdout.strip() == key, result.stderr


def test_gunicorn_exits_with_the_placeholder_key(tmp_path):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="killer.settings",
        DEBUG="false",
        SECRET_KEY=placeholder(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{free_port()}",
        GUNICORN_WORKERS="1",
    )
    # gunicorn stops when its worker cannot load the application; the timeout bounds a busy machine.
    result = subprocess.run(  # noqa: S603
        [GUNICORN, "-c", "config/gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is still the placeholder" in result.stderr


def test_check_deploy_fails_on_a_short_key_and_says_how_to_make_one():
    result = run("manage.py", "check", "--deploy", SECRET_KEY="short-key")
    assert result.returncode != 0
    assert "killer.E001" in result.stderr and "too short or too simple" in result.stderr
    assert "get_random_secret_key()" in result.stderr
    assert "security.W009" not in result.stderr  # said once, as the error


def test_makemigrations_runs_without_one():
    result = run("manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
