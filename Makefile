# Two commands do all the set-up on a fresh machine (see README):
#   make demo   install into .venv, then check, approve and publish the bundled example library
#               (the site, the printed sheets, the directory) and say where to look
#   make test   install into .venv and run every check CI runs
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCALE := guidesrc/locale

.PHONY: demo test quick lint typecheck schemas docs i18n bench reliability clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## check, approve and publish the bundled example library: the site, the sheets, the directory
	$(BIN)/guides check example
	$(BIN)/guides approve example --effective today --note "示例资料库首次发布"
	$(BIN)/guides publish example
	-$(BIN)/guides status example  # exit 1 (ignored here) once the sheets wait past their deadline
	@echo
	@echo "网上办事大厅（网站）：example/.guides/site/index.html"
	@echo "办事指南样张（打印）：example/.guides/print/current/jiehun-dengji.pdf"
	@echo "换页批次（大厅张贴）：example/.guides/print/batches/（$(BIN)/guides print list example）"
	@echo "目录渠道（JSON）：example/.guides/published/index.json"
	@echo "在浏览器中预览网站：$(BIN)/guides serve example"

test: lint typecheck  ## everything CI runs
	$(BIN)/pytest

reliability: $(STAMP)  ## bad input at volume, crashes, outages, concurrency, full disks, secrets: writes docs/reliability.md
	$(BIN)/pytest reliability -q -p no:cacheprovider --reliability-report docs/reliability.md

# The everyday tests write ~80,000 small files (460 MB): in memory where /dev/shm is there, as
# one folder that the next run replaces (on a disk, creating and removing them took a third of the
# run's time). QUICK_TMP=/some/dir chooses another place.
QUICK_TMP ?= $(firstword $(wildcard /dev/shm) $(or $(TMPDIR),/tmp))

quick: $(STAMP)  ## the everyday unit tests, ledger on SQLite only, on every core (under a minute; CI runs both)
	GUIDES_TEST_POSTGRES=skip $(BIN)/pytest -m 'not slow' -q -n auto --basetemp=$(QUICK_TMP)/guidesrc-quick-$(shell id -u)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

schemas: $(STAMP)  ## regenerate schemas/*.schema.json from the models
	$(BIN)/python -m guidesrc.schemagen

docs: $(STAMP)  ## regenerate docs/rules.md from the rule table
	$(BIN)/python -m guidesrc.check.docs > docs/rules.md

i18n: $(STAMP)  ## extract messages, merge them into the zh_CN catalog, compile
	$(BIN)/pybabel -q extract --no-location --omit-header -k N_ -o $(LOCALE)/guidesrc.pot guidesrc
	$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i $(LOCALE)/guidesrc.pot -d $(LOCALE) -D guidesrc -l zh_CN
	$(BIN)/pybabel -q compile -d $(LOCALE) -D guidesrc -l zh_CN
	$(BIN)/pybabel -q compile -d $(LOCALE) -D click -l zh_CN

bench: $(STAMP)  ## time `guides check` and `guides diff` on a generated 10,000-guide library
	$(BIN)/python bench/bench_check.py --runs 7
	$(BIN)/python bench/bench_diff.py --runs 5
	$(BIN)/python bench/bench_publish.py --runs 5
	$(BIN)/python bench/bench_publish.py --channels all --backends sqlite --changes 0 --runs 5  # issue 17
	$(BIN)/python bench/bench_pdf.py --runs 5
	$(BIN)/python bench/bench_import.py --runs 5
	$(BIN)/python bench/bench_site.py --runs 5  # needs Debian's hugo; installs mkdocs in bench/out
	$(BIN)/python bench/search/bench_relevance.py  # issue 19: recall@5 and MRR on the real guides

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache bench/out
