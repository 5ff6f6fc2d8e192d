# Two entry points a new user needs (see README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test setup setup-test demo bench clean

run: setup
	$(BIN)/interviewer practice

demo: setup
	$(BIN)/interviewer demo

test: setup-test
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed
	@bash scripts/install-system-deps.sh

setup-test: $(VENV)/.installed-test
	@bash scripts/install-system-deps.sh --test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[voice]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[voice,test]'
	@touch $@ $(VENV)/.installed

bench: setup-test
	$(BIN)/python bench/bench_transcribe.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
