"""The documentation site (``mkdocs.yml``, ``docs/``): bilingual pages, tutorials executed at build.

The fast tests check the pieces (cell splitting, doctest fences, that each page's markers name real
cells and that the French and English pages show the same cells); the slow one builds the whole
site with ``--strict`` (every chapter runs) and reads the executed numbers in both languages.
"""

import functools
import http.server
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = DOCS / "pages"


def load(name):
    """A module of ``docs/`` (not a package) by file name."""
    spec = importlib.util.spec_from_file_location(f"_docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hooks():
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make docs installs it)")
    return load("hooks")


def test_split_cells_keeps_order_and_setup(hooks):
    cells = hooks.split_cells('"""doc"""\nimport x\n\n# %% one\na = 1\n# %% two\nprint(a)\n')
    assert list(cells) == ["setup", "one", "two"]
    assert cells["setup"] == '"""doc"""\nimport x'
    assert cells["two"] == "print(a)"
    with pytest.raises(Exception, match="Duplicate cell"):
        hooks.split_cells("# %% a\n1\n# %% a\n2\n")


def test_a_cell_is_shown_with_its_output_and_figures(hooks):
    assert hooks.shown('"""The chapter."""\n\nimport numpy\n') == "import numpy"
    assert hooks.shown("x = 1  # no docstring\n") == "x = 1  # no docstring"
    markdown = hooks.render_cell("print(2)", "2", [b"PNG"])
    assert markdown == ('```python\nprint(2)\n```\n\n```text title="output"\n2\n```\n\n'
                        "![figure](data:image/png;base64,UE5H)")
    assert hooks.render_cell("x = 1", "", []) == "```python\nx = 1\n```"


def test_a_failing_cell_stops_the_build(hooks, tmp_path, monkeypatch):
    (tmp_path / "broken.py").write_text("# %% fine\nprint(1)\n# %% bad\n1 / 0\n")
    monkeypatch.setattr(hooks, "TUTORIALS", tmp_path)
    with pytest.raises(hooks.PluginError, match=r"broken.py, cell 'bad' failed: ZeroDivision"):
        hooks.run_chapter("broken")


def test_markers_name_real_cells_and_both_languages_match(hooks):
    pages = sorted(PAGES.rglob("*.fr.md"))
    assert len(pages) >= 12
    chapters_used = set()
    for fr in pages:
        en = fr.with_name(fr.name.replace(".fr.md", ".en.md"))
        assert en.is_file(), f"{fr.relative_to(ROOT)} has no English version"
        fr_marks = hooks.MARKER.findall(fr.read_text(encoding="utf-8"))
        en_marks = hooks.MARKER.findall(en.read_text(encoding="utf-8"))
        assert fr_marks == en_marks, f"{fr.name}: French and English pages show different cells"
        for chapter, cell in fr_marks:
            source = (DOCS / "tutorials" / f"{chapter}.py").read_text(encoding="utf-8")
            assert cell in hooks.split_cells(source), f"{fr.name}: no cell {chapter}#{cell}"
            chapters_used.add(chapter)
    scripts = {p.stem for p in (DOCS / "tutorials").glob("*.py")}
    assert scripts == chapters_used, "a chapter script that no page shows"


def test_every_chapter_is_in_the_nav_and_the_index():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for fr in sorted((PAGES / "tutorials").glob("*.fr.md")):
        page = "tutorials/" + fr.name.replace(".fr.md", ".md")
        assert f": {page}" in nav, f"{page} is missing from mkdocs.yml's nav"
        for lang in ("fr", "en"):
            index = (PAGES / f"index.{lang}.md").read_text(encoding="utf-8")
            assert f"]({page})" in index, f"{page} is missing from index.{lang}.md"


def test_doctest_fences():
    pytest.importorskip("griffe", reason="the docs extra is not installed")
    fence = load("griffe_doctests").fence_doctests
    text = "Dense layer.\n\n>>> layer.shape\n[(4, 3), (3,)]\n\nMore text.\n    >>> 1 + 1\n    2"
    assert fence(text) == ("Dense layer.\n\n```pycon\n>>> layer.shape\n[(4, 3), (3,)]\n```\n\n"
                           "More text.\n    ```pycon\n    >>> 1 + 1\n    2\n    ```")
    assert fence("no examples here\n") == "no examples here"


def _text(path):
    """The visible text of a built page (tags dropped, entities for the few characters used)."""
    html = path.read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    return text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&").replace("&quot;",
                                                                                       '"')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The whole site, built once with ``--strict`` (every chapter runs): its folder."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make docs installs it)")
    pytest.importorskip("material", reason="the docs extra is not installed")
    folder = tmp_path_factory.mktemp("docs") / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-4000:]
    return folder


@pytest.mark.slow
def test_the_site_builds_strictly_with_the_tutorials_run(site):
    def page(lang, name):
        path = site / ("en" if lang == "en" else "") / name / "index.html"
        assert path.is_file(), f"missing page {path.relative_to(site)}"
        assert "<!-- run:" not in path.read_text(encoding="utf-8")
        return _text(path)

    for lang, title in (("fr", "Le neurone et le perceptron"),
                        ("en", "The neuron and the perceptron")):
        text = page(lang, "tutorials/perceptron")
        assert title in text
        assert "ŷ = σ(z) = 0.00091" in text and "ŷ = σ(z) = 0.95257" in text
        assert "[0.5, 0.5, 0.5]" in text
    accuracies = {}
    for lang, title in (("fr", "sur les chiffres"), ("en", "on the digits")):
        text = page(lang, "tutorials/mlp_digits")
        assert title in text
        accuracies[lang] = float(re.search(r"test accuracy (\d\.\d{4})", text).group(1))
        assert "Total params: 6,570" in text
        assert "reloaded model gives the same predictions: True" in text
    assert accuracies["fr"] == accuracies["en"] > 0.9  # one run, shown in both languages
    for lang, title in (("fr", "Descente de gradient"), ("en", "Gradient descent")):
        text = page(lang, "tutorials/gradient_descent")
        assert title in text
        tape, by_hand = re.search(r"tape ∂J/∂a = ([-\d.]+), by hand ([-\d.]+)", text).groups()
        assert tape == by_hand
        a, b = map(float, re.search(r"with keras.optimizers.SGD: a = ([-\d.]+), b = ([-\d.]+)",
                                    text).groups())
        assert abs(a - 3.0) < 0.05 and abs(b + 0.5) < 0.05
    for lang in ("fr", "en"):  # the later chapters: what each one shows holds in the run
        text = page(lang, "tutorials/cnn")
        assert float(re.search(r"maps computed by hand: ([-\de.+]+)", text).group(1)) < 1e-5
        assert "same as by hand: True" in text
        text = page(lang, "tutorials/rnn")
        assert float(re.search(r"by hand and the layer's: ([-\de.+]+)", text).group(1)) < 1e-5
        assert "same output with and without the padding: True" in text
        text = page(lang, "tutorials/linear_regression")
        assert float(re.search(r"R² = ([-\d.]+)", text).group(1)) > 0.25
        text = page(lang, "tutorials/gan")
        generated, best, worst = map(float, re.search(
            r"generated ([\d.]+), real training digits ([\d.]+) \(the best\), untrained "
            r"generator ([\d.]+)", text).groups())
        assert best < generated < worst / 5
        text = page(lang, "tutorials/unsupervised")
        assert float(re.search(r"ROC-AUC of the error as an anomaly score: ([\d.]+)",
                               text).group(1)) > 0.9
        text = page(lang, "tutorials/distributed_private")
        gap = re.search(r"weights of 2 processes and of 1: ([-\de.+]+)", text)
        assert gap is None or float(gap.group(1)) < 1e-5  # None: no mpiexec, the run is skipped
        assert re.search(r"RDP ε = [\d.]+, PLD ε = [\d.]+", text)
        assert "data:image/png;base64," in (site / ("en" if lang == "en" else "") /
                                            "tutorials/optimizers/index.html").read_text()
        assert "EarlyStopping" in page(lang, "api/callbacks")
        assert "same as model.predict: True" in page(lang, "tutorials/serving")  # over HTTP


@pytest.mark.slow
@pytest.mark.browser
def test_three_pages_in_a_browser(site):
    """Debian's Chromium shows three pages of the built site, served over HTTP, in both languages:
    the executed numbers, a plot that decodes, the API reference, the language links."""
    chromium = "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.skip(f"{chromium} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(root + "tutorials/perceptron/")
            assert page.locator("h1").inner_text().startswith("Le neurone et le perceptron")
            assert "0.00091" in page.locator("article").inner_text()
            english = page.locator('a[hreflang="en"]').first.get_attribute("href")
            page.goto(root + "tutorials/perceptron/" + english)
            assert page.locator("h1").inner_text().startswith("The neuron and the perceptron")
            assert "0.95257" in page.locator("article").inner_text()

            page.goto(root + "en/tutorials/optimizers/")
            plot = page.locator("article img").first
            assert plot.evaluate("img => img.complete && img.naturalWidth") > 100

            page.goto(root + "api/layers/")
            assert page.locator('[id="profond.layers.Dense"]').is_visible()
            assert "ŷ = g(b + XᵀW)" in page.locator("article").inner_text()
            browser.close()
    finally:
        server.shutdown()
