# 控辍保学平台 — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
SCALE ?= full
# One line per step; the full output goes to var/log/<name>.log and is shown only on failure.
STEP := scripts/step.sh

# Without DATABASE_URL: `make run` uses SQLite under var/; `make test` uses PostgreSQL on
# 127.0.0.1:5432 if one answers, else SQLite. DATABASE_URL always wins.
PG_URL := postgres://postgres@127.0.0.1:5432/kongchuo
PG_UP = $(shell $(PY) -c "import socket;s=socket.socket();s.settimeout(1);print('yes' if s.connect_ex(('127.0.0.1',5432))==0 else 'no')" 2>/dev/null)

# Which part of system-packages.txt a target needs: `run` (no browser) or `test` (adds chromium, poppler, fonts).
SYSTEM := run
test unit e2e bench: SYSTEM := test

.PHONY: run dev test install install-test system-packages migrate demo bench e2e unit check-deploy clean

# Every target that installs checks the system packages first (scripts/system-packages.sh: apt-get as root,
# otherwise the exact command to run).
system-packages:
	@scripts/system-packages.sh $(SYSTEM)

$(VENV)/.installed: requirements.txt | system-packages
	@test -x $(PIP) || $(STEP) "创建 Python 虚拟环境 .venv…" venv $(PYTHON) -m venv $(VENV)
	@$(STEP) "安装 Python 依赖…" pip-install $(PIP) install --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed
	@$(STEP) "安装测试依赖…" pip-install-test $(PIP) install --disable-pip-version-check -r requirements-test.txt
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The product as a newcomer sees it: DEBUG off, gunicorn + the background worker, Ctrl-C stops all (scripts/serve.sh).
run: install
	@PY=$(PY) PORT=$(PORT) scripts/serve.sh run

# Development: DEBUG on, runserver with auto-reload (and the background worker when there is one).
dev: install
	@PY=$(PY) PORT=$(PORT) scripts/serve.sh dev

test: install-test
	@if [ -n "$$DATABASE_URL" ]; then echo "make test: database from DATABASE_URL"; \
	  $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ "$(PG_UP)" = "yes" ]; then echo "make test: PostgreSQL at 127.0.0.1:5432"; \
	  DATABASE_URL=$(PG_URL) $(PY) -m pytest $(PYTEST_ARGS); \
	else echo "make test: no PostgreSQL on 127.0.0.1:5432 — using SQLite"; \
	  DATABASE_URL=sqlite:///var/test.sqlite3 $(PY) -m pytest $(PYTEST_ARGS); fi

unit: install-test
	$(MAKE) test PYTEST_ARGS="--ignore=tests/e2e"

e2e: install-test
	$(MAKE) test PYTEST_ARGS="tests/e2e"

bench: install-test
	@if [ -z "$$DATABASE_URL" ] && [ "$(PG_UP)" != "yes" ]; then echo "make bench needs PostgreSQL"; exit 1; fi
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} KC_BENCH_SCALE=$(SCALE) $(PY) -m pytest tests/perf -p no:randomly -q -s --no-header

check-deploy: install
	DEBUG=0 SECRET_KEY=$$($(PY) -c "import secrets;print(secrets.token_urlsafe(50))") ALLOWED_HOSTS=kc.example.gov.cn \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var/test.sqlite3 .pytest_cache
