# memspice: two commands on a fresh Debian/Ubuntu machine.
#   make demo   installs what is missing, then runs the hysteresis study (hp + Biolek) into out/
#   make test   installs what is missing, then runs the test suite (real ngspice)
#   make container-test   builds the Dockerfile with podman and runs the image (root; see scripts/container-test.sh)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.memspice-installed
OUT    ?= out

.PHONY: install system-deps demo test container-test bench golden clean help

help:
	@echo "make demo    install (apt: ngspice libngspice0 binutils; venv; package) and run the hysteresis demo into $(OUT)/"
	@echo "make test    install and run the test suite"
	@echo "make container-test  build the Docker image with podman (no Docker engine needed; root) and run it"
	@echo "make bench   run the benchmarks: engine overhead, crossbar read (to 128), write transient (16-64), write-verify per pulse (4, 8), model fidelity, sweep executors"
	@echo "make golden  regenerate the golden netlists in netlists/ (review the diff)"

system-deps:
	./scripts/install-system-deps.sh

# badcrossbar (crossbar reference in the tests) goes in without its declared dependency
# pycairo, which has no wheel and builds only with libcairo2-dev; only its plotting uses
# cairo. Its other dependencies come with the test extra (see pyproject.toml).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,veriloga]'
	$(BIN)/python -m pip install --quiet --no-deps 'badcrossbar==1.1.0'
	touch $(STAMP)

install: system-deps $(STAMP)

demo: install
	$(BIN)/memspice hysteresis --model hp --set window=biolek --freq 1,10,100 --out $(OUT)

test: install
	$(BIN)/python -m pytest -q

# Needs root and network (apt-get, debootstrap, PyPI), not the .venv; about 2 minutes (6 on vfs storage).
container-test:
	./scripts/container-test.sh

bench: install
	$(BIN)/python benchmarks/engine_overhead.py
	$(BIN)/python benchmarks/crossbar_read.py --sizes 32,64,128
	$(BIN)/python benchmarks/write_transient.py --sizes 16,32,64
	$(BIN)/python benchmarks/write_verify.py --sizes 4,8
	$(BIN)/python benchmarks/fidelity.py
	$(BIN)/python benchmarks/sweep.py

golden: install
	$(BIN)/python -m memspice.golden netlists

clean:
	rm -rf $(OUT) build *.egg-info .pytest_cache
