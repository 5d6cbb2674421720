# One command to set up and run the service, one to run every check. See README.md.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: setup run test bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Byte-compiled once here, since PYTHONDONTWRITEBYTECODE=1 (as in the Dockerfile) would compile bot/ from
# source at every start: a fifth of a cold start (docs/benchmarks.md).
run: setup
	$(BIN)/python -m compileall -q bot
	$(BIN)/antifraud serve

test: setup
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-redis.sh
	$(BIN)/ruff check bot tests bench scripts
	$(BIN)/ruff format --check bot tests bench scripts
	$(BIN)/mypy
	$(BIN)/antifraud validate --strict
	$(BIN)/pytest --numprocesses=2 --dist=loadfile

bench: setup
	command -v wrk >/dev/null || (apt-get install -y wrk || (apt-get update && apt-get install -y wrk))
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_http.py
