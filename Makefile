# The two commands of the README: `make book` and `make test`. Everything else is a helper.
# Set PYTHON to use another Python 3.12 interpreter: `make test PYTHON=/path/to/python3.12`.

PYTHON ?= python3.12
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
MATHJAX := .cache/mathjax/mathjax/.version-3.2.2
EXTRAS := book,test,lab
JB_FLAGS := -W -n --keep-going

.PHONY: help install book test test-unit test-slow test-mcmc test-notebooks test-browser lint bench lab lock clean

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
	$(PY) -m numpydoc lint $$(find companion -name '*.py' ! -name '_*.py')

# The unit suite, for the edit-test loop (under two minutes); test-slow runs the tests
# marked slow (quadrature convergence, PyMC compilation, builds that must fail).
test-unit: $(STAMP)
	$(BIN)/pytest -m "not browser and not mcmc and not slow" --doctest-modules tests companion

test-slow: $(STAMP)
	$(BIN)/pytest -m "slow and not browser and not mcmc" tests

# The book's claims about samplers, re-checked over fresh replicated runs (a few minutes).
test-mcmc: $(STAMP)
	$(BIN)/pytest -m mcmc tests

test-notebooks: $(STAMP)
	$(BIN)/pytest --nbval-lax --nbval-current-env book/

test-browser: $(STAMP)
	$(BIN)/pytest -m browser

test: lint test-unit test-slow test-mcmc test-notebooks book test-browser

bench: $(STAMP)
	$(PY) -m tools.bench --mcmc --chapters

# JupyterLab on the chapters. The server is rooted at the repository, because jupytext reads
# jupytext.toml only inside the server's root, and the file browser opens in book/; it hides
# what only the build uses (hide_globs replaces Jupyter's default list, so that is repeated).
# JupyterLab refuses to run as root, which is the default user in containers, unless given
# --allow-root: pass it then, and only then. tools/lab/overrides.json (copied where JupyterLab
# reads this environment's default settings) makes a double-click open a chapter as a notebook.
LAB_FLAGS = --ServerApp.root_dir=$(CURDIR) --ContentsManager.preferred_dir=book \
	--ContentsManager.hide_globs='["_ext", "bib", "references.bib", "_build", "*.egg-info", "__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"]' \
	$(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	install -D -m 644 tools/lab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter lab $(LAB_FLAGS)

# Resolve the newest versions allowed by pyproject.toml in a scratch venv and pin them all.
lock:
	rm -rf .cache/lock-venv
	$(PYTHON) -m venv .cache/lock-venv
	.cache/lock-venv/bin/python -m pip install --quiet --upgrade pip
	.cache/lock-venv/bin/python -m pip install --quiet -e ".[$(EXTRAS)]"
	{ echo "# Pinned by 'make lock' on $$(date -u +%Y-%m-%d) with $$(.cache/lock-venv/bin/python -V)."; \
	  echo "# make installs with: pip install -c constraints.txt -e '.[$(EXTRAS)]'"; \
	  .cache/lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^-e '; } > constraints.txt
	rm -rf .cache/lock-venv
	@echo "constraints.txt refreshed; commit it."

clean:
	rm -rf _build
