# thyroid-evidence: two commands for a new user, `make report` and `make test`.
# Both create .venv (if missing) with the Python found on PATH, install the project, then work.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= build
JOBS   ?=
# pytest-xdist workers of `make test` (each notebook's cells and each test file stay on one)
TEST_WORKERS ?= 2

.PHONY: help setup validate report test lab notebooks bench lint clean

help:
	@echo "make report     set up, validate the evidence, build every figure, table and the HTML report into $(OUT)/"
	@echo "make test       set up, then run the whole test suite"
	@echo "make lab        JupyterLab on notebooks/ in the project environment"
	@echo "make notebooks  re-execute the committed notebooks in place (refreshes their stored outputs)"
	@echo "make bench      run the benchmarks in benchmarks/"
	@echo "make lint       ruff over the package, tests and benchmarks, and the layer contracts"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "thyroid-evidence needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

validate: setup
	$(PY) -m thyroid_evidence validate

report: validate
	$(PY) -m thyroid_evidence build --out $(OUT) $(if $(JOBS),--jobs $(JOBS),)
	@echo "Report: $(OUT)/report/index.html"

test: validate
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# --allow-root when run as root (containers, CI): JupyterLab refuses root without it.
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

notebooks: setup
	$(PY) -m thyroid_evidence.build.refresh

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: setup
	$(VENV)/bin/ruff check thyroid_evidence tests benchmarks
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(OUT) .pytest_cache
