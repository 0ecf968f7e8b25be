# The two commands of the README: `make demo` and `make test`; `make up` and `make down` run Airflow locally to
# click through (README, "Airflow without Docker"). All set up .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo up down test bench fuzz keygen clean

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

demo: $(INSTALLED)
	$(BIN)/fortnox-etl demo

up: $(INSTALLED)
	@$(BIN)/fortnox-etl up

# Nothing can run without .venv: then there is nothing to stop.
down:
	@if [ -x $(BIN)/fortnox-etl ]; then $(BIN)/fortnox-etl down; else echo "nothing of make up is running"; fi

# Two pytest workers, a test file each at a time: the long tests mostly wait on Airflow's scheduler and workers,
# so two keep both cores busy (about 19.5 minutes with issue 17's Celery and crowding tests).
test: $(INSTALLED)
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(INSTALLED)
	@for script in $(filter-out bench/_%,$(wildcard bench/*.py)); do $(BIN)/python $$script || exit 1; echo; done
	@$(BIN)/python bench/_summary.py

# The readers of the files people hand us, given 100,000 random and damaged files (FUZZ_INPUTS=...)
fuzz: $(INSTALLED)
	$(BIN)/python tests/fuzz_readers.py --inputs $(or $(FUZZ_INPUTS),100000)

keygen: $(INSTALLED)
	@$(BIN)/fortnox-etl keygen

clean: down
	rm -rf .airflow var out
