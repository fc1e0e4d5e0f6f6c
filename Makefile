# The two commands a newcomer runs: `make demo` and `make test`. Both set up `.venv` first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch is installed first and pinned, so that no later step pulls another torch build.
TORCH ?= torch==2.13.0
SHARED_DATA := $(abspath ../shared/data)
export ATTNKIT_DATA ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)

.PHONY: setup test lint demo clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,chem,serve,onnx,translate,drawings]"
	touch $@

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

demo: setup
	$(BIN)/attnkit demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache src/*.egg-info
