# Two commands from a fresh clone:  `make demo` runs the platform, `make test` runs the tests.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Every Python package that setup (and so CI) installs, pinned with hashes: README, "Installing
# and upgrading". Written by `make lock` / `make upgrade` from pyproject.toml and build.in.
LOCK := requirements/lock.txt

.PHONY: setup demo test test-fast lint bench bench-fanout chromium sandbox poppler messages lock lock-runtime upgrade upgrade-tools

# pip first, at the lock's pin; then exactly the lock (wheels only, each hash-checked); then
# hackjudge itself, editable, without dependencies, built by the lock's setuptools (no isolated
# build env, which would fetch an unpinned one); pip check fails if the lock misses a dependency.
$(BIN)/hackjudge: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	sed -n '/^pip==/,/[^\\]$$/p' $(LOCK) > $(VENV)/pip-pin.txt
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(VENV)/pip-pin.txt
	$(BIN)/pip install -q --require-hashes --only-binary :all: -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/pip check -q
	touch $@

# pip-tools (locked too, in requirements/pip-tools.txt) in a venv of its own writes the lock.
# It reads PyPI alone, not this machine's pip configuration, so any machine writes the same lock.
# `make lock` after editing dependencies keeps every other pin; `make upgrade` re-resolves all to
# the newest releases, `make upgrade P="redis rq"` only those. Then `make test`, commit the lock.
TOOLS := .venv-tools/bin
PIP_COMPILE = env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(TOOLS)/pip-compile -q \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	--newline LF
LOCK_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(PIP_COMPILE) --extra test -o $(LOCK) \
	pyproject.toml requirements/build.in

$(TOOLS)/pip-compile: requirements/pip-tools.txt
	$(PYTHON) -m venv $(dir $(TOOLS))
	$(TOOLS)/pip install -q --require-hashes --only-binary :all: -r requirements/pip-tools.txt
	touch $@

lock: $(TOOLS)/pip-compile
	$(LOCK_COMPILE)

upgrade: $(TOOLS)/pip-compile
	$(LOCK_COMPILE) $(if $(P),$(addprefix --upgrade-package ,$(P)),--upgrade)

upgrade-tools: $(TOOLS)/pip-compile
	CUSTOM_COMPILE_COMMAND="make upgrade-tools" $(PIP_COMPILE) --upgrade \
		-o requirements/pip-tools.txt requirements/pip-tools.in

# The runtime environment for teams' code (issue 16), built from Debian's Python so that the
# sandbox needs only /usr and this folder (read-only); wheels only, hash-checked, like ours.
# `make lock-runtime` writes its lock from requirements/runtime.in.
RUNTIME := .venv-runtime
RUNTIME_PYTHON ?= /usr/bin/python3.11
$(RUNTIME)/bin/python: requirements/runtime.txt
	$(RUNTIME_PYTHON) -m venv --clear $(RUNTIME)
	$(RUNTIME)/bin/pip install -q --disable-pip-version-check --require-hashes --only-binary :all: \
		-r requirements/runtime.txt
	chmod -R a+rX $(RUNTIME)
	touch $@

lock-runtime: $(TOOLS)/pip-compile
	CUSTOM_COMPILE_COMMAND="make lock-runtime" $(PIP_COMPILE) -o requirements/runtime.txt \
		requirements/runtime.in

# Front-end libraries from the npm registry, copied into app/static/vendor (git-ignored).
# (npm ci writes node_modules/.package-lock.json: the stamp that it ran for this lock file.)
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Catalogues are compiled at install; the .mo files are not committed.
translations: $(BIN)/hackjudge $(wildcard app/translations/*/LC_MESSAGES/messages.po)
	$(BIN)/pybabel -q compile -f -d app/translations
	touch translations

setup: $(BIN)/hackjudge node_modules/.package-lock.json translations $(RUNTIME)/bin/python

demo: setup
	$(BIN)/hackjudge demo

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null && fc-list :lang=ko | grep -q . || \
	  (apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk)

# Debian's bubblewrap: the sandbox that runs teams' code (judge/sandbox.py).
sandbox:
	@command -v bwrap >/dev/null || (apt-get update -q && apt-get install -y -q bubblewrap)

# Debian's poppler-utils: pdftoppm draws the first page of a project's slides (issue 17).
# poppler-data: the Korean CMaps pdftotext reads certificates back with (review/certificates.py).
poppler:
	@command -v pdftoppm >/dev/null && test -d /usr/share/poppler/cMap/Adobe-Korea1 || \
	  (apt-get update -q && apt-get install -y -q poppler-utils poppler-data)

test: setup chromium sandbox poppler
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# The quick loop while working: the linters, then every test not marked slow (tests/conftest.py
# marks those that start hackjudge processes or Chromium, or take seconds), in under two minutes
# on a 2-core machine. `make test` (CI) still runs everything.
test-fast: setup sandbox poppler
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/latency.py

# Re-extract the strings after changing templates or code, then fill in the new Korean msgstr.
# Besides gettext's: a constant marked N_(), and errors whose template is an argument
# (core.errors.TranslatableError and its subclasses; tests/app/test_i18n.py keeps this list).
KEYWORDS = lazy_gettext N_ TranslatableError ParticipantVisibleError RowError:2 IntakeError:3 \
	ReviewError RevealRefused AssignmentRefused SetupError TruthError AnnouncementError \
	VerificationError

messages: $(BIN)/hackjudge
	$(BIN)/pybabel -q extract -F babel.cfg $(addprefix -k ,$(KEYWORDS)) \
		-o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

# Fan-out to 100 / 1,000 / 4,000 websocket viewers against a bare Flask-SocketIO floor, both
# async modes (~5 minutes; FANOUT_ARGS=--quick for 100 and 1,000). Writes bench/results/.
bench-fanout: setup
	$(BIN)/python bench/fanout.py $(FANOUT_ARGS)
