# The README's two commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PLAYERS ?= 20
DURATION ?= 60
DB ?= sqlite

.PHONY: run test lint format migrations-check pytest loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements/base.txt requirements/prod.txt requirements/dev.txt
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

.env:
	cp config/.env.example .env

run: $(VENV)/.installed .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --if-empty --players $(PLAYERS) --start \
		--codes-file var/demo-codes.csv --game-master gm
	@echo
	@echo "  Killer is running at http://127.0.0.1:$(PORT)/"
	@echo "  Admin: http://127.0.0.1:$(PORT)/admin/  (user gm, password killer-demo)"
	@echo "  A few player codes (all of them in var/demo-codes.csv):"
	@head -n 6 var/demo-codes.csv | sed 's/,/   /g; s/^/    /'
	@echo
	GUNICORN_BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c config/gunicorn.conf.py

test: $(VENV)/.installed lint migrations-check pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(VENV)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

# Load test (README: Load tests and capacity): PLAYERS is the largest step or a list (5,50,500),
# DURATION the seconds measured per step, DB sqlite or postgres; LOAD_ARGS more options of run.py.
loadtest: PLAYERS = 1000
loadtest: $(VENV)/.installed-load
	$(BIN)/python tests/load/run.py --players $(PLAYERS) --duration $(DURATION) --db $(DB) $(LOAD_ARGS)

$(VENV)/.installed-load: $(VENV)/.installed requirements/load.txt
	$(BIN)/pip install --quiet -r requirements/load.txt
	touch $@

clean:
	rm -rf $(VENV) staticfiles .pytest-db.sqlite3* .pytest_cache .ruff_cache
