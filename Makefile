# Two commands on a fresh machine: `make demo` and `make test`. Each sets everything up first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
NEEDS_311 := import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
	"needs Python 3.11 or later (found " + sys.version.split()[0] + "): make PYTHON=python3.11 ...")

.PHONY: setup demo test lint lock bench bench-e2e clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c '$(NEEDS_311)'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
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

bench-e2e: setup  # the whole run against bare Splink, and the match stage on Spark; ARGS=--full adds 10,000,000 records (DuckDB only)
	$(PY) bench/e2e_bench.py --backend duckdb spark $(ARGS)

lock:  # constraints.txt anew from the ranges in pyproject.toml, in a throwaway virtualenv
	@$(PYTHON) -c '$(NEEDS_311)'
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	{ sed -n '1,2p' constraints.txt; .lock-venv/bin/pip freeze --exclude iom-exchange-hub | sort; } \
		> constraints.new && mv constraints.new constraints.txt && rm -rf .lock-venv

clean:
	rm -rf $(VENV) .demo .bench .pytest_cache .ruff_cache
