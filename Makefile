# crsbi: two commands do all the set-up on a fresh machine.
#   make demo   create .venv if missing, install crsbi[dev], run `crsbi demo`
#   make test   same set-up, then the test suite (with doctests)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.crsbi-installed
PYTEST_ARGS ?= -n auto

.PHONY: demo test lint bench install clean

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

lint: $(STAMP)
	$(VENV)/bin/ruff check crsbi tests benchmarks tutorials
	$(VENV)/bin/ruff format --check crsbi tests benchmarks tutorials

bench: $(STAMP)
	@set -e; for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache crsbi-demo docs/_build
