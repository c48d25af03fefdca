# Every target calls `asn-eval` or pytest; the logic lives in src/helpers.
# Uses the active virtualenv/conda environment if there is one, else creates .venv.

.DEFAULT_GOAL := help
SHELL := /bin/bash

DATASET ?= sample
LANG_REPORT ?= id
JOBS ?= 2
SEEDS ?= 200
PYTHON3 ?= python3

ACTIVE_ENV := $(or $(VIRTUAL_ENV),$(CONDA_PREFIX))
# A conda environment (active, and no virtualenv on top) keeps its own package versions from
# environment.yml: make installs only the package there, never requirements.lock over conda's packages.
ifneq ($(and $(CONDA_PREFIX),$(if $(VIRTUAL_ENV),,conda)),)
  CONDA_ENV := 1
endif
ifneq ($(ACTIVE_ENV),)
  ENV_DIR := $(ACTIVE_ENV)
else
  ENV_DIR := .venv
endif
BIN := $(ENV_DIR)/bin
STAMP := $(ENV_DIR)/.asn-eval-installed

.PHONY: help install data reports test lint hooks coverage bench lock synth clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(ENV_DIR)/bin/python:
	$(PYTHON3) -m venv $(ENV_DIR)

ifdef CONDA_ENV
$(STAMP): environment.yml pyproject.toml
	@echo "conda environment $(CONDA_PREFIX): using its own package versions (environment.yml lists what it needs), not requirements.lock"
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)
else
$(STAMP): requirements.lock pyproject.toml | $(ENV_DIR)/bin/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)
endif

install: $(STAMP) ## Create the environment (first use) and install the pinned dependencies (in conda: the package only)

data: $(STAMP) ## Ingest data/raw/$(DATASET) into data/processed/$(DATASET)
	$(BIN)/asn-eval ingest data/raw/$(DATASET)

reports: data ## Render every region report, the summary and the index (reports/$(DATASET)/)
	$(BIN)/asn-eval report --dataset $(DATASET) --all --lang $(LANG_REPORT) --jobs $(JOBS)

test: data ## Run the test suite (unit, end to end, and the notebooks through nbval)
	$(BIN)/python -m pytest --nbval-lax tests notebooks

coverage: $(STAMP) ## Coverage of every planted indicator's 95% interval over $(SEEDS) synthetic datasets (SEEDS=20: quick)
	$(BIN)/python benchmarks/coverage.py --seeds $(SEEDS) --jobs $(JOBS)

NATIONAL ?= 1
bench: $(STAMP) ## Time and memory of every stage at 1, 10 and 100 times the sample and national scale, beside the naive loop (SCALES=1,10 NATIONAL=0: quick)
	$(BIN)/python benchmarks/bench.py $(if $(SCALES),--scales $(SCALES)) $(if $(filter 1,$(NATIONAL)),--national)

lint: $(STAMP) ## Check code style and lint (ruff) and that notebooks carry no outputs (nbstripout)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/nbstripout --keep-id --verify notebooks/*.ipynb

hooks: $(STAMP) ## Install the git pre-commit hooks (.pre-commit-config.yaml: ruff, nbstripout, jupytext sync)
	$(BIN)/pre-commit install

lock: $(STAMP) ## Re-pin requirements.lock from the current environment (after editing pyproject.toml)
ifdef CONDA_ENV
	@echo "make lock needs a virtualenv (pip freeze of a conda environment is not installable from PyPI)" >&2; exit 1
endif
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^asn-eval' > requirements.lock

synth: $(STAMP) ## Regenerate the synthetic sample dataset (seed recorded in its dataset.yml)
	$(BIN)/asn-eval synth --out data/raw/sample

clean: ## Remove generated data and reports (not the environment)
	rm -rf data/processed/* reports/*
	touch data/processed/.gitkeep reports/.gitkeep
