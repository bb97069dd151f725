# orggraph — every target does its own set-up on a fresh machine.
#   make demo   venv + install + reference dataset + load into the embedded engine + serve on :8000
#   make test   venv + dev install + Neo4j jars (Maven) + ruff + mypy + pytest on both engines

# The first interpreter that really runs and is >= 3.11 (pyenv shims may exist without a version behind them).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
NEO4J_JARS := neo4j-local/target/lib/.complete
NODE_STAMP := node_modules/.installed
DEMO_BUNDLE := data/reference-luohu-2018
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint typecheck unit install neo4j-jars chromium bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python >= 3.11 is needed (python3, python3.11 ...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(STAMP)

$(NEO4J_JARS): neo4j-local/pom.xml
	cd neo4j-local && mvn -B -q package
	touch $@

neo4j-jars: $(NEO4J_JARS)

# The web pages' JS libraries, exactly as locked in package-lock.json (served from node_modules, no CDN).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's chromium for the browser tests, with a CJK font so that Chinese renders as glyphs, not boxes.
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; fi

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) $(NEO4J_JARS) $(NODE_STAMP) chromium lint typecheck
	$(BIN)/pytest

$(DEMO_BUNDLE)/manifest.json: $(STAMP)
	$(BIN)/orggraph reference $(DEMO_BUNDLE)

demo: $(STAMP) $(NODE_STAMP) $(DEMO_BUNDLE)/manifest.json
	$(BIN)/orggraph --engine embedded load $(DEMO_BUNDLE)
	$(BIN)/orggraph --engine embedded serve --host $(HOST) --port $(PORT)

bench: $(STAMP) $(NEO4J_JARS)
	$(PY) -m bench.load


clean:
	rm -rf $(VENV) data neo4j-local/target neo4j-local/run .pytest_cache .mypy_cache .ruff_cache
