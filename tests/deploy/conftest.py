"""A local deploy (deploy/deploy.sh --local) of this working tree, shared by the deploy tests."""

import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY_SH = REPO / "deploy" / "deploy.sh"
# What the tests' source copies leave out, as deploy.sh does for a directory.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", ".env", "db.sqlite3*", ".pytest-db*", "staticfiles", "var"
)
# A production-like .env: TLS proxy settings on, so the health check must send what nginx sends.
ENV_FILE = """\
DEBUG=false
SECRET_KEY=deploy-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz
ALLOWED_HOSTS=killer.test
CSRF_TRUSTED_ORIGINS=https://killer.test
DATABASE_URL=sqlite:///{root}/shared/db.sqlite3
BEHIND_TLS_PROXY=true
SECURE_SSL_REDIRECT=true
"""


def get(port, path, host="killer.test"):
    """(status, body) of a GET as nginx would pass it on: with a Host and X-Forwarded-Proto."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


class Deployment:
    def __init__(self, root, port):
        self.root = root
        self.port = port

    def deploy(self, *args, source=REPO, path_prefix=None, venv_from=sys.prefix):
        """Runs deploy.sh in local mode; the packages come from the tests' virtualenv (--venv-from)
        unless venv_from is None: then pip installs requirements/prod.txt as on a server."""
        # A clean environment: the tests' DJANGO_SETTINGS_MODULE and SECRET_KEY must not leak in.
        env = {key: value for key, value in os.environ.items() if key.startswith("PIP_")}
        env.update(PATH=os.environ["PATH"], HOME=os.environ.get("HOME", "/root"), LANG="C.UTF-8")
        if path_prefix:
            env["PATH"] = f"{path_prefix}:{env['PATH']}"
        command = [
            "bash",
            str(DEPLOY_SH),
            "--local",
            "--root",
            str(self.root),
            "--port",
            str(self.port),
            "--source",
            str(source),
            "--python",
            sys.executable,
            "--keep",
            "2",
            *args,
        ]
        if venv_from:
            command += ["--venv-from", venv_from]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)  # noqa: S603

    def current(self):
        return (self.root / "current").resolve()

    def releases(self):
        return sorted(path.name for path in (self.root / "releases").iterdir())

    def server_pid(self):
        return int((self.root / "shared" / "gunicorn.pid").read_text())

    def health(self):
        return get(self.port, "/health")

    def stop(self):
        pidfile = self.root / "shared" / "gunicorn.pid"
        if not pidfile.exists():
            return
        pid = int(pidfile.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


def copy_of_source(tmp_path, name):
    """A copy of this working tree to break on purpose."""
    target = tmp_path / name
    shutil.copytree(REPO, target, ignore=COPY_IGNORE)
    return target


def new_deployment(root):
    (root / "shared").mkdir()
    (root / "shared" / ".env").write_text(ENV_FILE.format(root=root))
    return Deployment(root, free_port())


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    """A first release of this working tree, deployed and answering on a free port."""
    deployment = new_deployment(tmp_path_factory.mktemp("deploy-root"))
    result = deployment.deploy()
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        yield deployment
    finally:
        deployment.stop()
