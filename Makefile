# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test sandbox check-config bench clean pg-start pg-stop screenshots

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

## make run: create the environment and start the bot (the local sandbox when no Slack tokens are set)
run: $(STAMP)
	$(PY) -m bot run

sandbox: $(STAMP)
	$(PY) -m bot sandbox

check-config: $(STAMP)
	$(PY) -m bot check-config

## make test: create the environment, start PostgreSQL, run the whole suite on SQLite and PostgreSQL
test: $(STAMP)
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) || echo "no chromium: the browser e2e test will be skipped"
	@url=$$(scripts/pg.sh start) && echo "PostgreSQL for tests: $$url" && \
	BATON_TEST_PG_URL=$$url $(PY) -m pytest -q $(PYTEST_ARGS); rc=$$?; scripts/pg.sh stop; exit $$rc

## make bench: the benchmarks at full size → bench/results/latest.json and the table in docs/performance.md
bench: $(STAMP)
	@url=$$(scripts/pg.sh start) && BENCH_PG_URL=$$url $(PY) -m bench.run --size full $(BENCH_ARGS); rc=$$?; scripts/pg.sh stop; exit $$rc

## make screenshots: PNGs of the sandbox in docs/screenshots/ (for the README), via Debian's chromium
screenshots: $(STAMP)
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	@fc-list 2>/dev/null | grep -qi "noto sans cjk" || apt-get install -y fonts-noto-cjk fonts-noto-color-emoji || true
	$(PY) scripts/screenshots.py

pg-start:
	@scripts/pg.sh start
pg-stop:
	@scripts/pg.sh stop

clean:
	rm -rf $(VENV) .pytest_cache baton.db baton-sandbox.db
