# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check --quiet
# torch first and pinned: pip takes the CPU build for it; a bare `torch` pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

.PHONY: demo test test-fast notebook-results install install-dev install-bench clean

demo: $(VENV)/.installed
	$(VENV)/bin/stgnn walk-forward --config configs/demo.yaml --run-dir runs/demo-$$(date +%Y%m%d-%H%M%S)

test: $(VENV)/.installed-dev
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -n 2 -m "not slow"

# Notebooks 04 and 05 are committed with their outputs: rerun them after results/sp500_study or
# results/sp500_signal changes.
notebook-results: $(VENV)/.installed-dev
	cd notebooks && ../$(VENV)/bin/jupyter-execute --inplace 04_sp500_results.ipynb 05_signal.ipynb

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# PyG-Temporal, the benchmark's training-speed reference (optional: tests and CI pass without it).
# --no-deps: its pins are years old and would replace torch and torch-geometric.
install-bench: $(VENV)/.installed
	$(PIP) install --no-deps torch-geometric-temporal==0.56.2

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install "$(TORCH)"
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install "$(TORCH)"
	$(PIP) install -e ".[dev]"
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
