PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,action]'
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/alpineguard examples/; status=$$?; \
	  echo "alpineguard exited $$status (1: findings, as the bad examples intend)"

test: $(STAMP)
	$(BIN)/python -m pytest

# alpineguard against hadolint; FOLDER=path also times the Dockerfiles found there,
# LATENCY=path takes the one-file time on that Dockerfile instead of benchmarks/latency.Dockerfile.
bench:
	$(PYTHON) benchmarks/bench.py $(FOLDER) $(if $(LATENCY),--latency-file $(LATENCY))

clean:
	rm -rf $(VENV) benchmarks/.venv build src/*.egg-info
