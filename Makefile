# `make demo` and `make test` each work on a fresh machine: they create .venv and install what
# they need (only NumPy for the engine; the test extra adds pytest, ruff, scipy and torch==2.13.0).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-fast compat lint bench clean fashion-mnist chromium french-words playground docs

$(VENV)/.base:
	$(PYTHON) -m venv $(VENV)
	touch $@

$(VENV)/.demo: $(VENV)/.base pyproject.toml
	$(PY) -m pip install -q -e '.[demo]'
	touch $@

$(VENV)/.test: $(VENV)/.base pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# The main job: the course's perceptron and XOR, then an MLP trained on the embedded digits
# data set (scikit-learn's 8×8 images) with the progress bar; prints test accuracy, saves it.
demo: $(VENV)/.demo french-words
	$(PY) examples/perceptron.py
	$(PY) examples/xor.py
	$(VENV)/bin/profond train --dataset digits --hidden 256,128 --dropout 0.2 --epochs 60 \
	  --seed 0 --output digits-mlp.profond

# Fashion-MNIST from Debian's package (root only; tests that need it say why they skip otherwise).
fashion-mnist:
	@if [ ! -d /usr/share/datasets/fashion-mnist ] && [ "$$(id -u)" = 0 ] \
	  && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) >/dev/null 2>&1 \
	  || echo "note: could not install dataset-fashion-mnist"; fi

# Debian's French word list (wfrench: /usr/share/dict/french), the corpus of the language examples.
french-words:
	@if [ ! -f /usr/share/dict/french ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && apt-get install -y -qq wfrench) >/dev/null 2>&1 \
	  || echo "note: could not install wfrench"; fi

# Debian's Chromium for the playground's browser test (driven by Playwright; never
# `playwright install`, which downloads a browser of its own).
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
	  || echo "note: could not install chromium"; fi

test: $(VENV)/.test fashion-mnist chromium french-words
	$(PY) -m ruff check src tests examples bench docs
	$(PY) -m pytest

$(VENV)/.docs: $(VENV)/.base pyproject.toml
	$(PY) -m pip install -q -e '.[docs]'
	touch $@

# The bilingual site into site/ (French; English in site/en/); every tutorial runs while it builds.
docs: $(VENV)/.docs fashion-mnist
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# The live visual playground: http://127.0.0.1:8000
playground: $(VENV)/.playground
	$(VENV)/bin/profond playground

$(VENV)/.playground: $(VENV)/.base pyproject.toml
	$(PY) -m pip install -q -e '.[playground,datasets,saving]'
	touch $@

lint: $(VENV)/.test
	$(PY) -m ruff check --fix src tests examples bench

bench: $(VENV)/.test
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) $(COMPAT) build *.egg-info src/*.egg-info

# The compatibility suite: the same small programs under real TensorFlow (tensorflow-cpu, in an
# environment of its own, never a dependency of profond) and under profond, results compared.
COMPAT := .venv-compat

$(COMPAT)/.ok:
	$(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip install -q tensorflow-cpu==2.21.0 pillow pandas tensorboard pytest
	touch $@

compat: $(VENV)/.test $(COMPAT)/.ok
	$(PY) -m pytest -m compat

# The edit-test loop (under a minute): everything but the tests marked slow (accuracy, examples,
# browser) and the compat suite. NOTE: this -m replaces the one of addopts, so it repeats compat.
test-fast: $(VENV)/.test
	$(PY) -m pytest -x -q -m "not slow and not compat" --ignore=tests/playground/test_browser.py \
	  --ignore=tests/test_accuracy.py --ignore=tests/compat
