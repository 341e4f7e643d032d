#!/usr/bin/env bash
# Deploy one release of killer: build it beside the others, switch `current` to it, restart, check
# /health, and switch back to the previous release when the check fails. `deploy/deploy.sh --help`.
#
# Layout under --root (default /srv/killer):
#   releases/<UTC timestamp>/   the code, its own .venv and staticfiles, a .env symlink to shared/.env
#   current -> releases/<...>   what the services run (systemd units use /srv/killer/current)
#   shared/.env                 the settings (config/.env.production.example), written once by hand
#   shared/db.sqlite3           the SQLite database, when DATABASE_URL points there
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/deploy.sh [options]

What and where:
  --source REF|DIR     a git ref of this repository (default: HEAD) or a directory to copy
  --root DIR           where releases live (default: /srv/killer)
  --host [USER@]HOST   deploy on that machine over ssh: send the source there and run this script
                       there with the other options (run as the service user, e.g. killer@host)
  --keep N             releases to keep, the current one included (default: 5)
  --rollback           build nothing: switch back to the release before `current`, restart, check

How to run it (server mode, the default: systemd restarts the services):
  --service NAME       systemd service to restart, repeatable (default: killer); run as the
                       service user, the script restarts them with `sudo -n systemctl restart NAME`
  --health-url URL     (default: http://127.0.0.1:8000/health, or the --port given)
  --health-host NAME   Host header of the check (default: first ALLOWED_HOSTS entry of shared/.env)
  --health-timeout S   seconds to wait for a 200 (default: 30)

Local mode, for a try-out and for the tests (no systemd):
  --local              run gunicorn in the background, pidfile and log in <root>/shared/, with
                       GUNICORN_WORKERS (default here: 2) from the environment, not from the .env
  --port PORT          the port gunicorn listens on, on 127.0.0.1 (default: 8000)

Build:
  --python PATH        interpreter for the release virtualenv (default: python3.11, else python3)
  --pip-args "ARGS"    extra arguments for `pip install -r requirements/prod.txt`, e.g.
                       "--no-index --find-links /var/cache/wheels"; PIP_* variables work too
  --venv-from DIR      make the packages of that virtualenv visible to the new one (a .pth file)
                       so pip finds them installed: fast, for tests and try-outs, not for servers

Environment: KILLER_ROOT, KILLER_SOURCE, KILLER_KEEP and KILLER_PYTHON give defaults to the options.
EOF
}

die() {
    echo "deploy: $*" >&2
    exit 1
}

log() {
    echo "--- $*"
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${KILLER_ROOT:-/srv/killer}
source_ref=${KILLER_SOURCE:-HEAD}
keep=${KILLER_KEEP:-5}
python=${KILLER_PYTHON:-}
host=""
services=()
local_mode=false
rollback=false
port=8000
health_url=""
health_host=""
health_timeout=30
pip_args=""
venv_from=""
# The options an ssh deploy passes on to the script on the other machine (all but --host, --source).
forward=()

while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --local) local_mode=true; forward+=("$1"); shift; continue ;;
        --rollback) rollback=true; forward+=("$1"); shift; continue ;;
    esac
    [[ $# -ge 2 ]] || die "$1 needs a value (see --help)"
    case $1 in
        --source) source_ref=$2 ;;
        --host) host=$2 ;;
        --root) root=$2; forward+=("$1" "$2") ;;
        --keep) keep=$2; forward+=("$1" "$2") ;;
        --service) services+=("$2"); forward+=("$1" "$2") ;;
        --port) port=$2; forward+=("$1" "$2") ;;
        --health-url) health_url=$2; forward+=("$1" "$2") ;;
        --health-host) health_host=$2; forward+=("$1" "$2") ;;
        --health-timeout) health_timeout=$2; forward+=("$1" "$2") ;;
        --python) python=$2; forward+=("$1" "$2") ;;
        --pip-args) pip_args=$2; forward+=("$1" "$2") ;;
        --venv-from) venv_from=$2; forward+=("$1" "$2") ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift 2
done

[[ $keep =~ ^[0-9]+$ && $keep -ge 2 ]] || die "--keep must be 2 or more: the previous release is the way back"
[[ $port =~ ^[0-9]+$ ]] || die "--port must be a number"
[[ ${#services[@]} -gt 0 ]] || services=(killer)
health_url=${health_url:-http://127.0.0.1:$port/health}

# Copies the source into directory $1 (which exists) and writes $1/REVISION, so that
# `cat /srv/killer/current/REVISION` says what runs.
export_source() {
    local dest=$1
    if [[ -d $source_ref ]]; then
        # A working tree: everything but what .gitignore keeps out of the repository.
        tar -C "$source_ref" -cf - \
            --exclude=.git --exclude=.venv --exclude=__pycache__ --exclude='*.pyc' --exclude=.env \
            --exclude='db.sqlite3*' --exclude='.pytest-db*' --exclude=staticfiles --exclude=var \
            --exclude=reports --exclude=.hypothesis --exclude=.pytest_cache --exclude=.ruff_cache \
            --exclude=node_modules . | tar -C "$dest" -xf -
        if [[ ! -e $dest/REVISION ]]; then
            local revision
            revision="directory $(cd "$source_ref" && pwd)"
            if git -C "$source_ref" rev-parse --git-dir >/dev/null 2>&1; then
                revision="$(git -C "$source_ref" describe --always --dirty) from $revision"
            fi
            echo "$revision" >"$dest/REVISION"
        fi
    else
        local repo
        repo=$(git -C "$script_dir" rev-parse --show-toplevel) || die "$source_ref is no directory, and no git repository here to find it in"
        git -C "$repo" rev-parse --verify --quiet "$source_ref^{commit}" >/dev/null || die "no such git ref: $source_ref"
        git -C "$repo" archive --format=tar "$source_ref" | tar -C "$dest" -xf -
        git -C "$repo" rev-parse "$source_ref^{commit}" >"$dest/REVISION"
    fi
}

# ssh mode: send the source over, run this script there, clean up. The remote command lines are
# built here on purpose, each word quoted with %q.
# shellcheck disable=SC2029
if [[ -n $host ]]; then
    staging=$(mktemp -d)
    trap 'rm -rf "$staging"' EXIT
    export_source "$staging"
    remote_dir=$(ssh "$host" mktemp -d)
    log "sending $(cat "$staging/REVISION") to $host:$remote_dir"
    tar -C "$staging" -czf - . | ssh "$host" "tar -C $(printf '%q' "$remote_dir") -xzf -"
    status=0
    ssh "$host" "$(printf '%q ' bash "$remote_dir/deploy/deploy.sh" --source "$remote_dir" "${forward[@]}")" || status=$?
    ssh "$host" "rm -rf $(printf '%q' "$remote_dir")"
    exit "$status"
fi

if [[ -z $python ]]; then
    python=$(command -v python3.11 || command -v python3) || die "no python3.11 or python3: give --python"
fi
if [[ $local_mode == false && $EUID -eq 0 ]]; then
    die "run this as the service user (sudo -u killer $0 ...), so that it owns the releases and the database"
fi
command -v curl >/dev/null || die "curl is needed for the health check"

mkdir -p "$root/releases" "$root/shared"
root=$(cd "$root" && pwd)
env_file=$root/shared/.env
[[ -f $env_file ]] || die "no $env_file: write it first (see config/.env.production.example)"

# One deploy at a time.
exec 9>"$root/shared/deploy.lock"
flock -n 9 || die "another deploy is running on $root"

pidfile=$root/shared/gunicorn.pid
logfile=$root/shared/gunicorn.log

# Local mode: gunicorn in the background from <root>/current, the pidfile says which one.
stop_local() {
    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 0
    # A pidfile left from before a reboot may name someone else's process by now.
    if grep -q gunicorn "/proc/$pid/cmdline" 2>/dev/null && kill -TERM "$pid"; then
        # gunicorn lets requests finish for up to its graceful timeout (30 s by default).
        for _ in $(seq 1 350); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

start_local() {
    (
        cd "$root/current"
        # 9>&-: the server must not inherit the deploy lock. No control socket: its default place,
        # ~/.gunicorn/gunicorn.ctl, would be shared with any other gunicorn of this user.
        GUNICORN_BIND=127.0.0.1:$port GUNICORN_WORKERS=${GUNICORN_WORKERS:-2} \
            nohup .venv/bin/python -m gunicorn -c config/gunicorn.conf.py --no-control-socket \
            </dev/null >>"$logfile" 2>&1 9>&- &
        echo $! >"$pidfile"
    )
}

restart() {
    if [[ $local_mode == true ]]; then
        stop_local
        start_local
        return
    fi
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo -n)
    for service in "${services[@]}"; do
        "${sudo[@]}" systemctl restart "$service" || return 1
    done
}

# The Host header must be one Django accepts, and nginx would say the client came over https.
if [[ -z $health_host ]]; then
    health_host=$(sed -n 's/^ALLOWED_HOSTS=//p' "$env_file" | tail -n 1 | tr -d "\"' " | cut -d, -f1)
    health_host=${health_host#.}
    [[ $health_host != "*" ]] || health_host=""
fi
healthy() {
    local deadline=$((SECONDS + health_timeout)) code header=()
    [[ -z $health_host ]] || header=(-H "Host: $health_host")
    while [[ $SECONDS -lt $deadline ]]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${header[@]}" \
            -H "X-Forwarded-Proto: https" "$health_url") || true
        [[ $code != 200 ]] || return 0
        # A local gunicorn that died (a worker failed to boot) will not come back: no need to wait.
        if [[ $local_mode == true ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            echo "    gunicorn exited; the end of $logfile:" >&2
            tail -n 25 "$logfile" | sed 's/^/    /' >&2
            return 1
        fi
        sleep 0.5
    done
    echo "    no 200 from $health_url within ${health_timeout}s (last status: ${code:-none})" >&2
    [[ $local_mode == true ]] || echo "    see /var/log/killer/app.log and journalctl -u ${services[0]}" >&2
    return 1
}

# ln -s then mv -T: rename(2) swaps the link in one step, nobody ever sees no `current`.
switch_to() {
    ln -sfn "$1" "$root/current.new"
    mv -T "$root/current.new" "$root/current"
}

# --rollback: back to the release before `current`, for a problem that shows after a deploy.
# Each call goes one release further back; the database keeps its migrations.
if [[ $rollback == true ]]; then
    [[ -L $root/current ]] || die "no $root/current to roll back from"
    from=$(basename "$(readlink -f "$root/current")")
    to=$(find "$root/releases" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | awk -v from="$from" '$0 < from' | tail -n 1)
    [[ -n $to ]] || die "no release older than $from in $root/releases"
    log "rolling back from $from to $to"
    switch_to "$root/releases/$to"
    if ! { restart && healthy; }; then
        die "$to does not answer /health either; look at the logs"
    fi
    log "rolled back: $to answers 200 ($from stays in releases/ until a deploy prunes it)"
    exit 0
fi

name=$(date -u +%Y%m%dT%H%M%SZ)
while [[ -e $root/releases/$name ]]; do
    sleep 1
    name=$(date -u +%Y%m%dT%H%M%SZ)
done
release=$root/releases/$name
previous=""
if [[ -L $root/current ]]; then
    previous=$(readlink -f "$root/current")
fi

# Until `current` points at it, a failed release is only in the way.
switched=false
cleanup_unswitched() {
    if [[ $switched == false ]]; then
        echo "deploy: failed before the switch, removing $release${previous:+ ($(basename "$previous") still runs)}" >&2
        rm -rf "$release"
    fi
}
trap cleanup_unswitched EXIT

log "building $release"
mkdir "$release"
export_source "$release"
echo "    $(cat "$release/REVISION")"
# Settings come from the one shared file: Django reads <release>/.env, systemd reads shared/.env.
ln -s "$env_file" "$release/.env"

py=$release/.venv/bin/python
if [[ -z $venv_from ]]; then
    "$python" -m venv "$release/.venv"
else
    [[ -x $venv_from/bin/python ]] || die "--venv-from $venv_from: no bin/python there"
    # Without its own pip (the slow part of `venv`): the one of $venv_from installs into this one.
    "$python" -m venv --without-pip "$release/.venv"
    purelib='import sysconfig; print(sysconfig.get_path("purelib"))'
    "$venv_from/bin/python" -c "$purelib" >"$("$py" -c "$purelib")/venv-from.pth"
fi
pip_extra=()
read -r -a pip_extra <<<"$pip_args"
"$py" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$release/requirements/prod.txt" "${pip_extra[@]}"

log "migrate and collectstatic"
(
    cd "$release"
    "$py" manage.py migrate --noinput
    "$py" manage.py collectstatic --noinput --verbosity 0
)

if [[ $local_mode == true ]]; then
    log "switching current to $name, restarting gunicorn on 127.0.0.1:$port"
else
    log "switching current to $name, restarting ${services[*]}"
fi
switch_to "$release"
switched=true
if restart && healthy; then
    log "$name is live: $health_url answers 200"
else
    if [[ -z $previous ]]; then
        die "$name fails its health check, and there is no previous release to go back to"
    fi
    log "$name fails its health check: back to $(basename "$previous")"
    switch_to "$previous"
    if restart && healthy; then
        log "rolled back: $(basename "$previous") answers 200 again"
    else
        echo "deploy: the previous release does not answer either; look at the logs" >&2
    fi
    rm -rf "$release"
    exit 1
fi

# Keep the newest $keep releases; the names sort by date.
mapfile -t old < <(find "$root/releases" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | head -n "-$keep")
for old_name in "${old[@]}"; do
    [[ $root/releases/$old_name != "$release" && $root/releases/$old_name != "$previous" ]] || continue
    log "removing old release $old_name"
    rm -rf "${root:?}/releases/$old_name"
done
