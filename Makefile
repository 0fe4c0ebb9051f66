# Two commands from a fresh clone:  `make demo` runs the platform, `make test` runs the tests.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup demo test lint bench bench-fanout chromium messages

$(BIN)/hackjudge: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Front-end libraries from the npm registry, copied into app/static/vendor (git-ignored).
# (npm ci writes node_modules/.package-lock.json: the stamp that it ran for this lock file.)
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Catalogues are compiled at install; the .mo files are not committed.
translations: $(BIN)/hackjudge $(wildcard app/translations/*/LC_MESSAGES/messages.po)
	$(BIN)/pybabel -q compile -f -d app/translations
	touch translations

setup: $(BIN)/hackjudge node_modules/.package-lock.json translations

demo: setup
	$(BIN)/hackjudge demo

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null && fc-list :lang=ko | grep -q . || \
	  (apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk)

test: setup chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/latency.py

# Re-extract the strings after changing templates or code, then fill in the new Korean msgstr.
# Besides gettext's: a constant marked N_(), and errors whose template is an argument
# (judge.errors.TranslatableError and its subclasses; tests/app/test_i18n.py keeps this list).
KEYWORDS = lazy_gettext N_ TranslatableError ParticipantVisibleError RowError:2 IntakeError:3 \
	ReviewError RevealRefused AssignmentRefused SetupError TruthError AnnouncementError

messages: $(BIN)/hackjudge
	$(BIN)/pybabel -q extract -F babel.cfg $(addprefix -k ,$(KEYWORDS)) \
		-o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

# Fan-out to 100 / 1,000 / 4,000 websocket viewers against a bare Flask-SocketIO floor, both
# async modes (~5 minutes; FANOUT_ARGS=--quick for 100 and 1,000). Writes bench/results/.
bench-fanout: setup
	$(BIN)/python bench/fanout.py $(FANOUT_ARGS)
