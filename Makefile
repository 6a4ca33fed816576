# Two commands on a fresh machine:
#   make run    installs what is missing, loads the bundled data and serves the portal on 127.0.0.1
#   make test   installs what the tests need (Debian packages + Python test extras) and runs them all
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run install install-test test lint bench clean bundle

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test
	scripts/install-system-deps.sh

# The portal's light plotly.js (0.5 MB gzip instead of 1.4 MB): built once with npm (node is
# needed for the build only); without it the portal still works with the full bundle.
bundle:
	bash src/observatorio/publish/web/vendor/build.sh || echo "AVISO: no se pudo construir el plotly.js ligero; el portal usa el completo (1,4 MB). / WARNING: the light plotly.js could not be built; the portal serves the full one (1.4 MB)." >&2

run: install bundle
	$(BIN)/observatorio serve --host $(HOST) --port $(PORT)

test: install-test bundle
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/observatorio texts check

bench: install-test
	$(BIN)/python bench/load/run.py

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache
