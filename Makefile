# memspice: two commands on a fresh Debian/Ubuntu machine.
#   make demo   installs what is missing, then runs the hysteresis study (hp + Biolek) into out/
#   make test   installs what is missing, then runs the test suite (real ngspice)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.memspice-installed
OUT    ?= out

.PHONY: install system-deps demo test bench golden clean help

help:
	@echo "make demo    install (apt: ngspice libngspice0; venv; package) and run the hysteresis demo into $(OUT)/"
	@echo "make test    install and run the test suite"
	@echo "make bench   run benchmarks/engine_overhead.py"
	@echo "make golden  regenerate the golden netlists in netlists/ (review the diff)"

system-deps:
	./scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,veriloga]'
	touch $(STAMP)

install: system-deps $(STAMP)

demo: install
	$(BIN)/memspice hysteresis --model hp --set window=biolek --freq 1,10,100 --out $(OUT)

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/engine_overhead.py

golden: install
	$(BIN)/python -m memspice.experiments.golden netlists

clean:
	rm -rf $(OUT) build *.egg-info .pytest_cache
