# crsbi: two commands do all the set-up on a fresh machine.
#   make demo   create .venv if missing, install crsbi[dev], run `crsbi demo`
#   make test   same set-up, then the test suite (with doctests)
#   make docs   the documentation site (Sphinx) in docs/_build/html, tutorials executed
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.crsbi-installed
DOCS_STAMP := $(VENV)/.crsbi-docs-installed
PYTEST_ARGS ?= -n auto

.PHONY: demo test lint bench docs install clean

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	@$(PY) -c "import torch, sys; v = torch.__version__; print('torch', v); sys.exit(0 if torch.version.cuda is None else 'a CUDA build of torch was installed: ' + v)"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/crsbi demo

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) tests crsbi --doctest-modules

$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install -e '.[dev,docs]'
	touch $(DOCS_STAMP)

# -W: a warning fails the build; tutorials run in quick mode (cached between builds)
docs: $(DOCS_STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "site: docs/_build/html/index.html"

lint: $(STAMP)
	$(VENV)/bin/ruff check crsbi tests benchmarks tutorials docs/*.py
	$(VENV)/bin/ruff format --check crsbi tests benchmarks tutorials docs/*.py

bench: $(STAMP)
	@set -e; for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache crsbi-demo docs/_build docs/generated docs/tutorials docs/jupyter_execute docs/api.rst docs/results.md docs/results_figures
