# Two commands on a fresh machine: `make demo` and `make test`. Each sets everything up first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup demo test lint bench bench-e2e clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/iomhub demo

test: setup
	@bash scripts/system-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) bench/ingest_bench.py
	$(PY) bench/match_quality.py
	$(PY) bench/match_speed.py
	$(PY) bench/pseudonymise_bench.py
	@bash scripts/system-deps
	$(PY) bench/sftp_bench.py

bench-e2e: setup  # the whole run against bare Splink; ARGS=--full adds 10,000,000 records
	$(PY) bench/e2e_bench.py $(ARGS)

clean:
	rm -rf $(VENV) .demo .bench .pytest_cache .ruff_cache
