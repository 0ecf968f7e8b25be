# The two commands of the README: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test bench fuzz keygen clean

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

demo: $(INSTALLED)
	$(BIN)/fortnox-etl demo

test: $(INSTALLED)
	$(BIN)/python -m pytest

bench: $(INSTALLED)
	@for script in $(filter-out bench/_%,$(wildcard bench/*.py)); do $(BIN)/python $$script || exit 1; echo; done
	@$(BIN)/python bench/_summary.py

# The readers of the files people hand us, given 100,000 random and damaged files (FUZZ_INPUTS=...)
fuzz: $(INSTALLED)
	$(BIN)/python tests/fuzz_readers.py --inputs $(or $(FUZZ_INPUTS),100000)

keygen: $(INSTALLED)
	@$(BIN)/fortnox-etl keygen

clean:
	rm -rf .airflow var out
