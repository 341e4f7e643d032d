# The README's two commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PLAYERS ?= 20
SHEETS_PORT ?= 8765
# The demo's Google Sheet lives on the local Sheets API stand-in.
DEMO_SHEETS := SHEETS_API_URL=http://127.0.0.1:$(SHEETS_PORT) SHEETS_CREDENTIALS_FILE=var/sheets-credentials.json
DURATION ?= 60
DB ?= sqlite
# `make test` leaves out the tests marked slow (the deploy tests: ~2 min); .ci/run runs them too.
PYTEST_ARGS ?= -m "not slow"

.PHONY: run serve test lint format migrations-check pytest loadtest lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Every package pinned with its hashes (requirements/*.txt, compiled from the .in files by `make lock`).
$(VENV)/.installed: $(BIN)/python requirements/dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@

.env:
	cp config/.env.example .env

run: $(VENV)/.installed .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --if-empty --players $(PLAYERS) --start \
		--codes-file var/demo-codes.csv --game-master gm
	@# The stand-in and the sync loop run beside gunicorn and stop with it (Ctrl-C).
	@trap 'kill $$emulator $$sync 2>/dev/null' EXIT; \
	$(BIN)/python manage.py sheets_emulator --port $(SHEETS_PORT) --data var/sheets.json \
		> var/sheets-emulator.log 2>&1 & emulator=$$!; \
	$(DEMO_SHEETS) $(BIN)/python manage.py sheets_demo || exit 1; \
	$(DEMO_SHEETS) $(BIN)/python manage.py sync_sheets --loop --interval 30 > var/sync.log 2>&1 & sync=$$!; \
	echo; \
	echo "  Killer is running at http://127.0.0.1:$(PORT)/"; \
	echo "  Admin: http://127.0.0.1:$(PORT)/admin/  (user gm, password killer-demo)"; \
	echo "  The demo's Google Sheet (local stand-in): http://127.0.0.1:$(SHEETS_PORT)/  (synced every 30 s, log in var/sync.log)"; \
	echo "  A few player codes (all of them in var/demo-codes.csv):"; \
	head -n 6 var/demo-codes.csv | sed 's/,/   /g; s/^/    /'; \
	echo; \
	GUNICORN_BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c config/gunicorn.conf.py

# A real game night from a laptop: every phone on the local network reaches it, over plain HTTP,
# with DEBUG off, its own secret key (var/secret-key) and the cards' links on the laptop's address
# (docs/game-masters.md: what plain HTTP means). No demo game, no stand-in: the database is db.sqlite3
# (or DATABASE_URL), and the sync runs if you start it (`manage.py sync_sheets --loop`).
LAN_ADDRESS = $(BIN)/python -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("10.255.255.255", 1)); print(s.getsockname()[0])' 2>/dev/null || echo 127.0.0.1
serve: $(VENV)/.installed var/secret-key
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@address=$$($(LAN_ADDRESS)); \
	echo; \
	echo "  Killer is serving the local network at http://$$address:$(PORT)/  (admin: /admin/)"; \
	echo "  Plain HTTP: anyone on this network can read what passes, login codes included. Use it on"; \
	echo "  a network you trust (the venue's staff Wi-Fi, a hotspot); anywhere else, deploy with HTTPS"; \
	echo "  (docs/deploy.md). Cards printed from the admin carry http://$$address:$(PORT)/."; \
	echo; \
	DEBUG=false SECRET_KEY="$$(cat var/secret-key)" ALLOWED_HOSTS="$$address,localhost,127.0.0.1" \
	SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SITE_URL="http://$$address:$(PORT)" \
	GUNICORN_BIND=0.0.0.0:$(PORT) $(BIN)/gunicorn -c config/gunicorn.conf.py

var/secret-key: $(VENV)/.installed
	mkdir -p var
	umask 077; $(BIN)/python -c 'from django.core.management.utils import get_random_secret_key; print(get_random_secret_key())' > $@

test: $(VENV)/.installed lint migrations-check pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy  # the rules, the poll path and the sync: [tool.mypy] in pyproject.toml

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(VENV)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

# Load test (docs/load-tests.md): PLAYERS is the largest step or a list (5,50,500),
# DURATION the seconds measured per step, DB sqlite or postgres; LOAD_ARGS more options of run.py.
loadtest: PLAYERS = 1000
loadtest: $(VENV)/.installed-load
	$(BIN)/python tests/load/run.py --players $(PLAYERS) --duration $(DURATION) --db $(DB) $(LOAD_ARGS)

$(VENV)/.installed-load: $(VENV)/.installed requirements/load.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/load.txt
	touch $@

# Compiles requirements/*.in into the pinned, hashed .txt files for Python 3.11 on every platform,
# keeping the versions already pinned unless UPGRADE=1 (or UPGRADE=<package>) asks for newer ones.
LOCK_UPGRADE = $(if $(filter 1,$(UPGRADE)),--upgrade,$(if $(UPGRADE),--upgrade-package $(UPGRADE)))
lock: $(VENV)/.installed
	for name in base prod dev load; do \
		$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
			--custom-compile-command "make lock" $(LOCK_UPGRADE) \
			requirements/$$name.in -o requirements/$$name.txt || exit 1; \
	done

clean:
	rm -rf $(VENV) staticfiles .pytest-db.sqlite3* .pytest_cache .ruff_cache
