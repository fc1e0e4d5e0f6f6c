# The two commands a newcomer runs: `make demo` and `make test`. Both set up `.venv` first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch is installed first and pinned, so that no later step pulls another torch build. PyPI's
# Linux torch is the multi-GB CUDA build: without an NVIDIA GPU (no nvidia-smi), setup takes the
# CPU build from PyTorch's CPU index when that index answers. TORCH_INDEX=pypi keeps PyPI's
# build; TORCH_INDEX=URL names another index (e.g. https://download.pytorch.org/whl/cu126).
TORCH ?= torch==2.13.0
TORCH_INDEX ?= auto
CPU_INDEX := https://download.pytorch.org/whl/cpu
SHARED_DATA := $(abspath ../shared/data)
export ATTNKIT_DATA ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)

.PHONY: setup test lint demo clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	index="$(TORCH_INDEX)"; \
	if [ "$$index" = auto ]; then index=; command -v nvidia-smi >/dev/null 2>&1 || \
		! $(BIN)/python -c 'import socket; socket.create_connection(("download.pytorch.org", 443), 3)' \
		2>/dev/null || index=$(CPU_INDEX); fi; \
	[ "$$index" != pypi ] || index=; \
	echo "torch: $(TORCH) from $${index:-the default index}"; \
	$(BIN)/python -m pip install --disable-pip-version-check $${index:+--index-url $$index} "$(TORCH)"
	$(BIN)/python -m pip install --disable-pip-version-check -e ".[dev,chem,serve,onnx,translate,drawings]"
	touch $@

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

demo: setup
	$(BIN)/attnkit demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache src/*.egg-info
