# Quick start: `make site` builds the sample archive into site/; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: site test serve clean venv checkers browser bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

site: $(STAMP)
	$(VENV)/bin/archivegen build --out site

serve: $(STAMP)
	$(VENV)/bin/archivegen serve

# Chromium for the browser tests (Debian package), the W3C Nu checker and axe-core.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

checkers: node_modules/.installed
node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch $@

test: $(STAMP) browser checkers
	$(PY) -m pytest -q -n 2 --dist loadfile

# Benchmarks need a corpus or archive path and are never part of `make test`; this lists how to run them.
bench: $(STAMP)
	@$(PY) -m pip install --quiet -e '.[bench]'
	@for b in benchmarks/*.py; do \
	  echo "== $$b"; $(PY) $$b --help 2>&1 | head -4; done

clean:
	rm -rf site .cache
