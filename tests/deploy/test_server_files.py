"""The files deploy/ installs on a server: systemd units, nginx site, logrotate, cron.

The tools check them where they are installed (apt-get install nginx, ...); each test says why it
skips where one is missing. Paths of the server (/srv/killer, /var/log/killer, /etc/letsencrypt)
are rewritten into a temporary directory.
"""

import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import time

import pytest

from tests.conftest import free_port
from tests.deploy.conftest import DEPLOY_SH, REPO

DEPLOY = REPO / "deploy"
CERT = "/etc/letsencrypt/live/killer.example.org/fullchain.pem"
KEY = "/etc/letsencrypt/live/killer.example.org/privkey.pem"
ACCESS_LOG = "/var/log/nginx/killer.access.log"


def run(*command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=60, **kwargs)  # noqa: S603


def require(tool):
    if not shutil.which(tool):
        pytest.skip(f"{tool} is not installed here (.ci/run installs nginx and shellcheck with apt-get)")


def test_deploy_sh_is_shellcheck_clean():
    require("shellcheck")
    result = run("shellcheck", str(DEPLOY_SH))
    assert result.returncode == 0, result.stdout


def test_systemd_units_verify(tmp_path):
    require("systemd-analyze")
    # verify wants the programs of ExecStart= to exist: stand-ins under a temporary /srv/killer.
    bin_dir = tmp_path / "current" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("gunicorn", "python"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(0o755)
    units = []
    for name in ("killer.service", "killer-sync.service", "killer-backup.service", "killer-backup.timer"):
        text = (DEPLOY / "systemd" / name).read_text()
        (tmp_path / name).write_text(text.replace("/srv/killer", str(tmp_path)))
        units.append(str(tmp_path / name))

    result = run("systemd-analyze", "verify", *units)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_units_run_what_the_deploy_builds():
    web = (DEPLOY / "systemd" / "killer.service").read_text()
    sync = (DEPLOY / "systemd" / "killer-sync.service").read_text()
    assert "ExecStart=/srv/killer/current/.venv/bin/gunicorn -c config/gunicorn.conf.py" in web
    assert "ExecStart=/srv/killer/current/.venv/bin/python manage.py sync_sheets --loop --interval 30" in sync
    for unit in (web, sync):
        assert "EnvironmentFile=/srv/killer/shared/.env" in unit
        assert "Restart=on-failure" in unit
        assert "User=killer" in unit
    assert "Nice=10" in sync  # the players' requests first


def test_the_crontab_syncs_twice_a_minute():
    lines = (DEPLOY / "cron" / "killer-sync").read_text().splitlines()
    entries = [line for line in lines if line.startswith("* * * * * ")]
    assert len(entries) == 2
    for entry in entries:
        # /etc/cron.d format: five time fields, the user, the command.
        assert entry.split()[5] == "killer"
        assert "manage.py sync_sheets >>/var/log/killer/sync.log 2>&1" in entry
        assert "--loop" not in entry
        assert "nice -n 10 .venv/bin/python manage.py" in entry
    assert not entries[0].split()[6].startswith("sleep")
    assert entries[1].split()[6:8] == ["sleep", "30"]
    # cron ignores a last line without a newline.
    assert (DEPLOY / "cron" / "killer-sync").read_text().endswith("\n")


def test_logrotate_rotates_the_logs(tmp_path):
    require("logrotate")
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    (log_dir / "app.log").write_text("a line\n")
    text = (DEPLOY / "logrotate" / "killer").read_text()
    text = text.replace("/var/log/killer", str(log_dir)).replace("su killer killer", "su root root")
    (tmp_path / "killer").write_text(text)

    result = run(
        "logrotate", "--force", "--verbose", "--state", str(tmp_path / "state"), str(tmp_path / "killer")
    )

    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr
    # copytruncate: the file that systemd writes into stays, emptied.
    assert (log_dir / "app.log").read_text() == ""
    assert (log_dir / "app.log.1").read_text() == "a line\n"


@pytest.fixture
def certificate(tmp_path):
    require("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    result = run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=killer.example.org", "-keyout", str(key), "-out", str(cert),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return cert, key


def site_in(tmp_path, certificate):
    """The site, with the test's certificate and its access log in tmp_path."""
    cert, key = certificate
    site = (DEPLOY / "nginx" / "killer.conf").read_text()
    site = site.replace(CERT, str(cert)).replace(KEY, str(key))
    return site.replace(ACCESS_LOG, str(tmp_path / "access.log"))


def nginx_conf(tmp_path, site):
    """A minimal nginx.conf around the site, everything nginx writes kept in tmp_path."""
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/site.conf;
}}
"""
    )
    return tmp_path / "nginx.conf"


def test_nginx_accepts_the_site(tmp_path, certificate):
    require("nginx")
    site = site_in(tmp_path, certificate)
    conf = nginx_conf(tmp_path, site)

    result = run("nginx", "-t", "-c", str(conf), "-p", str(tmp_path))

    assert result.returncode == 0, result.stderr


def running_nginx(tmp_path, certificate, app_port):
    """The site on loopback ports, in front of `app_port`: a connection to its HTTPS side, and the
    HTTP side's port. Its server_name is the deploy tests' killer.test."""
    require("nginx")
    http_port, https_port = free_port(), free_port()
    site = site_in(tmp_path, certificate).replace("killer.example.org", "killer.test")
    # Loopback ports instead of 80 and 443, the app's instead of 8000.
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    site = re.sub(r"listen 80\b", f"listen 127.0.0.1:{http_port}", site)
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    conf = nginx_conf(tmp_path, site)
    process = subprocess.Popen(  # noqa: S603
        ["nginx", "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off; master_process off;"],  # noqa: S607
        stderr=subprocess.PIPE,
    )
    try:
        yield wait_for_https(https_port), http_port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def nginx(tmp_path, certificate, deployment):
    """The site in front of the deployed release."""
    yield from running_nginx(tmp_path, certificate, deployment.port)


@pytest.fixture
def nginx_alone(tmp_path, certificate):
    """The site with no app behind it: what nginx answers by itself."""
    yield from running_nginx(tmp_path, certificate, free_port())


def test_nginx_redirects_to_https_at_its_own_name_only(nginx_alone):
    _, http_port = nginx_alone
    status, headers, _ = fetch(http.client.HTTPConnection("127.0.0.1", http_port), "/me/?a=1")
    assert (status, headers["Location"]) == (301, "https://killer.test/me/?a=1")

    # Another name gets no redirect to it, nor to us: the connection closes without an answer.
    for host in ("evil.example", "127.0.0.1"):
        with pytest.raises(http.client.RemoteDisconnected):
            fetch(http.client.HTTPConnection("127.0.0.1", http_port), "/me/", host=host)


def test_nginx_serves_https_for_its_own_name_only(nginx_alone):
    https, _ = nginx_alone
    status, _, _ = fetch(https, "/health")
    assert status == 502  # its own name: passed on (to no app here)
    with pytest.raises(http.client.RemoteDisconnected):
        fetch(https, "/health", host="evil.example")
    with pytest.raises(ssl.SSLError):
        wait_for_https(https.port, site="evil.example")


def test_nginx_logs_no_login_code(nginx_alone, tmp_path):
    """An old card's link, /login/<code>/, leaves its code out of the access log (no app behind:
    the log line of a 502 holds the request line all the same)."""
    https, _ = nginx_alone
    for path in ("/login/ACDE-FGHJ-KMNP/", "/login/ACDEFGHJKMNP/?again=1", "/login/", "/me/"):
        fetch(https, path)
        https.close()

    logged_line(tmp_path / "access.log", "GET /me/")  # written once the answer is sent
    lines = (tmp_path / "access.log").read_text().splitlines()
    requests = [line.split('"')[1] for line in lines]
    assert requests == [
        "GET /login/(code)/ HTTP/1.1",
        "GET /login/(code)/ HTTP/1.1",
        "GET /login/ HTTP/1.1",
        "GET /me/ HTTP/1.1",
    ]


@pytest.mark.slow
def test_nginx_in_front_of_a_deployed_release(nginx, deployment):
    https, http_port = nginx

    # The Host of the deployment's ALLOWED_HOSTS; with SECURE_SSL_REDIRECT=true, a 200 (no
    # redirect) says that Django saw X-Forwarded-Proto: https.
    status, headers, body = fetch(https, "/health")
    assert (status, body) == (200, b"ok")

    status, headers, _ = fetch(http.client.HTTPConnection("127.0.0.1", http_port), "/admin/?a=1")
    assert status == 301
    assert headers["Location"] == "https://killer.test/admin/?a=1"

    manifest = json.loads((deployment.current() / "staticfiles" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    status, headers, _ = fetch(https, f"/static/{hashed}")
    assert status == 200
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]

    status, headers, _ = fetch(https, "/admin/login/", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"


@pytest.mark.slow
def test_a_phone_polling_through_nginx_gets_304s(nginx, deployment, tmp_path):
    """nginx's gzip turns the ETag of a compressed answer into W/"...": the phone sends that back,
    and must still get its 304 (every poll was a full answer behind nginx until it did)."""
    https, _ = nginx
    codes = tmp_path / "codes.csv"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    seeded = run(
        str(deployment.current() / ".venv" / "bin" / "python"), "manage.py", "seed_demo",
        "--players", "3", "--start", "--codes-file", str(codes),
        cwd=deployment.current(), env=env,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    code = codes.read_text().splitlines()[1].split(",")[1]

    _, headers, _ = fetch(https, "/")
    cookies = cookies_from(headers)
    status, headers, body = fetch(
        https,
        "/api/login",
        {
            "Cookie": cookie_header(cookies),
            "X-CSRFToken": cookies["csrftoken"],
            "Referer": "https://killer.test/",
            "Content-Type": "application/json",
        },
        method="POST",
        body=json.dumps({"code": code}),
    )
    assert status == 200, body
    cookies.update(cookies_from(headers))
    phone = {"Cookie": cookie_header(cookies), "Accept-Encoding": "gzip"}

    status, headers, _ = fetch(https, "/api/me", phone)
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    tag = headers["ETag"]
    assert tag.startswith('W/"')

    status, headers, body = fetch(https, "/api/me", {**phone, "If-None-Match": tag})
    assert (status, body) == (304, b"")
    # nginx keeps the access log, with the id the app gave the request; it writes the line once the
    # answer is sent, so on a busy machine the phone may have it first.
    line = logged_line(tmp_path / "access.log", f" {headers['X-Request-ID']} ")
    assert '"GET /api/me HTTP/1.1" 304 0 ' in line


def logged_line(log, marker, seconds=30):
    """The line of `log` holding `marker`, as soon as it is written (within a bound for a busy machine)."""
    deadline = time.monotonic() + seconds
    while True:
        lines = [line for line in log.read_text().splitlines() if marker in line] if log.exists() else []
        if lines:
            return lines[-1]
        assert time.monotonic() < deadline, f"no line with {marker!r} in {log}"
        time.sleep(0.1)


def cookies_from(headers):
    cookies = {}
    for header in headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";")[0]
    return cookies


def cookie_header(cookies):
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class SiteConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 that names the site in its TLS handshake (SNI), as a browser does."""

    def __init__(self, port, site, context):
        super().__init__("127.0.0.1", port, context=context, timeout=5)
        self.site, self.tls = site, context

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.site)


def wait_for_https(port, site="killer.test"):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    for _ in range(50):
        connection = SiteConnection(port, site, context)
        try:
            connection.connect()
            return connection
        except ssl.SSLError:
            raise
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nginx does not answer on {port}")


def fetch(connection, path, headers=None, *, method="GET", body=None, host="killer.test"):
    connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
    response = connection.getresponse()
    return response.status, response.headers, response.read()
