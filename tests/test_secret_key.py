"""Without SECRET_KEY the web server refuses to start; commands that sign nothing still run."""

import os
import subprocess
import sys

from django.conf import settings


def run(*args):
    # Set, not removed: the environment wins over a developer's .env.
    env = dict(os.environ, SECRET_KEY="", DEBUG="false", DJANGO_SETTINGS_MODULE="killer.settings")
    return subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_web_server_refuses_to_start_without_a_secret_key():
    result = run("-c", "import killer.wsgi")
    assert result.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in result.stderr


def test_makemigrations_runs_without_one():
    result = run("manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
