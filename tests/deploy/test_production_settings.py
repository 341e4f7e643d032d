"""config/.env.production.example gives settings that pass Django's deploy checks behind nginx, once its
placeholder SECRET_KEY is replaced."""

import os
import subprocess
import sys

from django.core.management.utils import get_random_secret_key

from tests.deploy.conftest import REPO

EXAMPLE = REPO / "config" / ".env.production.example"


def production_environment(tmp_path, *, secret_key=None):
    """The example's settings; with its placeholder SECRET_KEY replaced by a random one unless told."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")}
    for line in EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value.replace("/srv/killer/shared", str(tmp_path))
    env["SECRET_KEY"] = secret_key or get_random_secret_key()
    return env


def manage(tmp_path, *args, **environment):
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=production_environment(tmp_path, **environment),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_example_passes_check_deploy(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_check_deploy_refuses_the_examples_placeholder_key(tmp_path):
    placeholder = next(line for line in EXAMPLE.read_text().splitlines() if line.startswith("SECRET_KEY="))
    result = manage(tmp_path, "check", "--deploy", secret_key=placeholder.split("=", 1)[1])
    assert result.returncode != 0
    assert "killer.E001" in result.stderr and "placeholder" in result.stderr


def test_the_example_trusts_the_proxy_for_https(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS, s.ALLOWED_HOSTS, s.SECURE_SSL_REDIRECT)"
    )
    result = manage(tmp_path, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    expected = (
        "('HTTP_X_FORWARDED_PROTO', 'https') ['https://killer.example.org'] ['killer.example.org'] True"
    )
    assert result.stdout.strip() == expected
