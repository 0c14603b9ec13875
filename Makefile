# crsbi: two commands do all the set-up on a fresh machine.
#   make demo   create .venv if missing, install crsbi[dev], run `crsbi demo`
#   make test   same set-up, then the test suite (with doctests)
#   make test-cpu-paths  the numba and network tests again on other CPU code paths (CI runs it)
#   make docs   the documentation site (Sphinx) in docs/_build/html, tutorials executed
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.crsbi-installed
DOCS_STAMP := $(VENV)/.crsbi-docs-installed
PYTEST_ARGS ?= -n auto

.PHONY: demo test test-cpu-paths lint bench docs install clean

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

# The tests of the numba kernels, simulators and network estimators, run a second time on other
# code paths than the host's: LLVM's generic x86-64 target (SSE2, no AVX, no FMA), torch's
# AVX2 kernels and MKL's AVX2 path, one thread. A test that depends on the CPU's rounding
# fails here rather than on a user's machine (docs/reproducibility.md).
# Not repeated: tests of I/O, data files, the CLI, docstrings and tutorials (no numba kernel
# or network result of their own), and the tests marked slow: long statistical checks whose
# tolerances were measured over seeds (>= 4 sigma), so a last-bit change cannot flip them;
# the bit-level checks (tests/particles/test_particles.py, tests/pretrained) do run here.
CPU_PATH_SKIP := tests/test_tutorials.py tests/test_cli.py tests/test_docstrings.py \
	tests/test_architecture.py tests/core/test_campaign.py tests/core/test_datasets.py \
	tests/core/test_utils.py tests/core/test_plotting.py tests/propagation/test_spectra_data.py \
	tests/propagation/test_cross_sections.py tests/uhecr/test_uhecr_data.py
CPU_PATH_TESTS ?= $(filter-out $(CPU_PATH_SKIP),$(sort $(wildcard tests/test_*.py tests/*/test_*.py)))
CPU_PATH_ENV ?= NUMBA_CPU_NAME=generic ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 \
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

test-cpu-paths: $(STAMP)
	$(CPU_PATH_ENV) $(PY) -m pytest $(PYTEST_ARGS) -m "not slow" $(CPU_PATH_TESTS)

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
	@set -e; for script in benchmarks/*/bench_*.py; do echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache crsbi-demo docs/_build docs/generated docs/tutorials docs/jupyter_execute docs/api.rst docs/results.md docs/results_figures
