# Argus developer entry points. Needs only Python >= 3.11 and make; the first
# run makes .venv and installs every distribution of the workspace into it.
PYTHON ?= python3
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
DISTS := sdk platform $(patsubst %/pyproject.toml,%,$(wildcard drivers/*/pyproject.toml plugins/*/pyproject.toml spi/*/pyproject.toml))
PYTEST := $(PY) -m pytest -p argus.testing.strict

.PHONY: demo test lint typecheck pytest bench clean

demo: $(VENV)/.installed
	$(VENV)/bin/argus demo

test: lint typecheck pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy sdk/src platform/src $(addsuffix /src,$(filter-out sdk platform,$(DISTS))) bench

# One pytest process per distribution, run from its folder (see platform/pyproject.toml),
# then the cross-package tests.
pytest: $(VENV)/.installed
	@set -e; for d in $(DISTS); do echo "== $$d"; (cd $$d && $(PYTEST)); done
	@echo "== tests"; $(PYTEST) tests

bench: $(VENV)/.installed
	$(PY) bench/bench_sim.py

$(VENV)/.installed: pyproject.toml $(addsuffix /pyproject.toml,$(DISTS))
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Argus needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --group dev $(addprefix -e ,$(DISTS))
	touch $@

clean:
	rm -rf $(VENV) demo-data .mypy_cache .ruff_cache
