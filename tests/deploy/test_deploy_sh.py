"""deploy/deploy.sh in local mode: releases, the `current` switch, rollback, pruning, ssh mode.

Each test starts from a live release (the session's `deployment`) and leaves one behind.
"""

from pathlib import Path

import pytest

from tests.deploy.conftest import copy_of_source, new_deployment

pytestmark = pytest.mark.slow


def test_first_deploy_serves_health_from_current(deployment):
    assert deployment.health() == (200, "ok")
    current = deployment.current()
    assert current.parent == deployment.root / "releases"
    assert (current / ".env").resolve() == deployment.root / "shared" / ".env"
    assert (current / "staticfiles" / "staticfiles.json").exists()
    assert "from directory" in (current / "REVISION").read_text()
    # The server runs the code of `current`.
    cwd = Path(f"/proc/{deployment.server_pid()}/cwd").resolve()
    assert cwd == current


def test_a_release_that_cannot_boot_is_rolled_back(deployment, tmp_path):
    before = deployment.current()
    source = copy_of_source(tmp_path, "wsgi-raises")
    with open(source / "killer" / "wsgi.py", "a") as wsgi:
        wsgi.write('\nraise RuntimeError("broken on purpose")\n')

    result = deployment.deploy(source=source)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "fails its health check: back to" in result.stdout
    assert "gunicorn exited" in result.stderr
    assert "broken on purpose" in (deployment.root / "shared" / "gunicorn.log").read_text()
    assert deployment.current() == before
    assert deployment.health() == (200, "ok")
    assert deployment.releases() == [before.name]


def test_a_release_whose_health_fails_is_rolled_back(deployment, tmp_path):
    before = deployment.current()
    source = copy_of_source(tmp_path, "health-503")
    views = source / "killer" / "views.py"
    views.write_text(views.read_text().replace('HttpResponse("ok",', 'HttpResponse("ok", status=503,'))

    result = deployment.deploy("--health-timeout", "5", source=source)

    assert result.returncode == 1, result.stdout + result.stderr
    # Not asserting on the last status: on a busy machine gunicorn may not be up within the 5 s.
    assert "no 200 from" in result.stderr
    assert deployment.current() == before
    assert deployment.health() == (200, "ok")
    assert deployment.releases() == [before.name]


def test_a_release_that_fails_to_build_never_goes_live(deployment, tmp_path):
    before, server = deployment.current(), deployment.server_pid()
    source = copy_of_source(tmp_path, "settings-raise")
    with open(source / "killer" / "settings.py", "a") as settings:
        settings.write('\nraise RuntimeError("broken on purpose")\n')

    result = deployment.deploy(source=source)

    assert result.returncode != 0
    assert "failed before the switch" in result.stderr
    assert deployment.current() == before
    assert deployment.server_pid() == server
    assert deployment.health() == (200, "ok")
    assert deployment.releases() == [before.name]


def test_it_deploys_over_ssh_prunes_old_releases_and_rolls_back(deployment, tmp_path):
    first = deployment.current().name
    # An `ssh` that runs the command here: the quoting is the same as through a real one.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "ssh").write_text('#!/bin/sh\nshift\nexec bash -c "$*"\n')
    (fake_bin / "ssh").chmod(0o755)

    over_ssh = deployment.deploy("--host", "killer@game.example.org", path_prefix=fake_bin)
    assert over_ssh.returncode == 0, over_ssh.stdout + over_ssh.stderr
    second = deployment.current().name
    assert deployment.releases() == [first, second]

    again = deployment.deploy()
    assert again.returncode == 0, again.stdout + again.stderr
    third = deployment.current().name
    # --keep 2: the first release goes, the one before `current` stays for a rollback.
    assert f"removing old release {first}" in again.stdout
    assert deployment.releases() == [second, third]
    assert deployment.health() == (200, "ok")

    rollback = deployment.deploy("--rollback")
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert deployment.current().name == second
    assert deployment.health() == (200, "ok")


def test_a_release_installed_by_pip_as_on_a_server_serves_health(tmp_path):
    # The other tests borrow the packages of the tests' virtualenv; this one installs
    # requirements/prod.txt alone, which must be enough for gunicorn and its gevent workers.
    deployment = new_deployment(tmp_path)
    try:
        result = deployment.deploy(venv_from=None)
        assert result.returncode == 0, result.stdout + result.stderr
        assert deployment.health() == (200, "ok")
        assert (deployment.current() / ".venv" / "bin" / "gunicorn").exists()
    finally:
        deployment.stop()
