# AegisOps — `make up` runs the platform with its demo; `make test` runs every test.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: setup up test unit integration e2e bench clean

$(STAMP): pyproject.toml
	bash scripts/debian-packages.sh
	bash scripts/setup.sh $(PY) $(VENV)
	touch $(STAMP)

setup: $(STAMP)

up: $(STAMP)
	$(BIN)/aegis up --demo

test: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -ra

bench: $(STAMP)  # every bench/ script, several runs each (bench/suite.py); rewrites BENCHMARKS.md and docs/bench/
	$(BIN)/aegis bench --report BENCHMARKS.md

clean:
	rm -rf .aegis $(VENV) *.egg-info
