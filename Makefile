PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean lock knowledge

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,action]'
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/alpineguard examples/; status=$$?; \
	  echo "alpineguard exited $$status (1: findings, as the bad examples intend)"

# Bytecode caching on, whatever the environment says (PYTHONDONTWRITEBYTECODE): the suite starts
# about two hundred Python processes of alpineguard, which would each compile the package again.
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

# The Action image's runtime dependencies, pinned with every file's hash for the image's Python on
# musl (the Dockerfile installs them with --require-hashes); refresh after changing pyproject.toml.
IMAGE_PYTHON := $(shell sed -n 's/^FROM python:\([0-9.]*\)-alpine.*/\1/p' Dockerfile)
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra action --python-version $(IMAGE_PYTHON) \
	  --python-platform x86_64-unknown-linux-musl --only-binary :all: --generate-hashes \
	  --custom-compile-command 'make lock' --quiet -o requirements-action.txt

# alpineguard against hadolint; FOLDER=path also times the Dockerfiles found there,
# LATENCY=path takes the one-file time on that Dockerfile instead of benchmarks/latency.Dockerfile.
bench:
	$(PYTHON) benchmarks/bench.py $(FOLDER) $(if $(LATENCY),--latency-file $(LATENCY))

# Regenerate the generated data files from the registries (through pip's and npm's configuration)
# and say what changed.
knowledge: $(STAMP)
	$(BIN)/python tools/gen_musl_wheels.py
	$(BIN)/python tools/gen_musl_node_snapshot.py
	$(BIN)/python tools/scan_npm_native.py
	@git diff --stat -- src/alpineguard/knowledge/ tools/musl_node_registry.json || true

clean:
	rm -rf $(VENV) benchmarks/.venv build src/*.egg-info
