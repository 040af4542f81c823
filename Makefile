# AegisOps — `make up` runs the platform with its demo; `make test` runs every test.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: setup up test test-corpus unit integration e2e bench clean lock docs

$(STAMP): pyproject.toml constraints.txt
	bash scripts/debian-packages.sh
	bash scripts/setup.sh $(PY) $(VENV)
	touch $(STAMP)

setup: $(STAMP)

up: $(STAMP)
	$(BIN)/aegis casebook
	$(BIN)/aegis up --demo

test: $(STAMP)  # the casebook is fitted first (minutes, once per machine and reference set), not inside a test's wait
	$(BIN)/aegis casebook
	$(BIN)/python -m pytest -p no:cacheprovider -ra --durations=15

test-corpus: $(STAMP)  # the prefilter and anchor checks over every corpus case, not make test's sample (~30 min)
	AEGIS_EVERY_CORPUS_TEXT=1 $(BIN)/python -m pytest -p no:cacheprovider -ra tests/test_prefilter.py tests/test_anchors.py

bench: $(STAMP)  # every bench/ script, several runs each (bench/suite.py); rewrites BENCHMARKS.md and docs/bench/
	$(BIN)/aegis bench --report BENCHMARKS.md

lock:  # re-resolve the dependency set into constraints.txt (then run make test and commit it)
	bash scripts/lock.sh $(PY)

clean:
	rm -rf .aegis $(VENV) *.egg-info

docs: $(STAMP)  # the generated section of docs/architecture.md (streams, consumers, subjects, frames)
	$(PY) -m aegis.wiring_doc
