# The two commands of the README: `make book` and `make test`. Everything else is a helper.
# Set PYTHON to use another Python 3.12 interpreter: `make test PYTHON=/path/to/python3.12`.

PYTHON ?= python3.12
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
MATHJAX := .cache/mathjax/mathjax/.version-3.2.2
EXTRAS := book,test
JB_FLAGS := -W -n --keep-going

.PHONY: help install book test test-unit test-mcmc test-notebooks test-browser lint bench lab lock clean

help:
	@echo "make book   set up .venv, then build the HTML book (every notebook executed) into _build/html"
	@echo "make test   set up .venv, then run every test: lint, unit, notebooks (nbval), book build, browser"
	@echo "make bench  print the benchmark table"
	@echo "make lab    open the MyST notebooks in JupyterLab"
	@echo "make lock   refresh constraints.txt (the pinned versions that make installs)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python >= 3.12 is required, got " + sys.version)' \
		|| { echo "Set PYTHON to a Python 3.12 interpreter, e.g. make PYTHON=/usr/bin/python3.12"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt --upgrade pip

# Re-runs only when the declared or pinned dependencies change.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	@touch $@

install: $(STAMP)

$(MATHJAX): tools/fetch_mathjax.py | $(PY)
	$(PY) tools/fetch_mathjax.py .cache/mathjax

book: $(STAMP) $(MATHJAX)
	$(PY) tools/build_book.py build . $(JB_FLAGS)
	@echo "The book is in _build/html: open _build/html/index.html in a browser."

lint: $(STAMP)
	$(BIN)/ruff check companion tests tools book/_ext
	$(BIN)/ruff format --check companion tests tools book/_ext

test-unit: $(STAMP)
	$(BIN)/pytest -m "not browser and not mcmc" --doctest-modules tests companion

# The book's claims about samplers, re-checked over fresh replicated runs (a few minutes).
test-mcmc: $(STAMP)
	$(BIN)/pytest -m mcmc tests

test-notebooks: $(STAMP)
	$(BIN)/pytest --nbval-lax --nbval-current-env book/

test-browser: $(STAMP)
	$(BIN)/pytest -m browser

test: lint test-unit test-mcmc test-notebooks book test-browser

bench: $(STAMP)
	$(PY) -m tools.bench --mcmc --chapters

lab: $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS),lab]"
	$(BIN)/jupyter lab book/

# Resolve the newest versions allowed by pyproject.toml in a scratch venv and pin them all.
lock:
	rm -rf .cache/lock-venv
	$(PYTHON) -m venv .cache/lock-venv
	.cache/lock-venv/bin/python -m pip install --quiet --upgrade pip
	.cache/lock-venv/bin/python -m pip install --quiet -e ".[$(EXTRAS),lab]"
	{ echo "# Pinned by 'make lock' on $$(date -u +%Y-%m-%d) with $$(.cache/lock-venv/bin/python -V)."; \
	  echo "# make installs with: pip install -c constraints.txt -e '.[$(EXTRAS)]'"; \
	  .cache/lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^-e '; } > constraints.txt
	rm -rf .cache/lock-venv
	@echo "constraints.txt refreshed; commit it."

clean:
	rm -rf _build
