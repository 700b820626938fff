"""The playground's data controls, warnings and export, in the real page (headless Chromium via
Playwright, the ``browser``, ``shots`` and ``live_server`` fixtures of ``conftest.py``): one test
per control, each asserting on what the page shows and on the server's session behind it.
The page is opened in English (``?lang=en``)."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")


def wait(page, expression, **kwargs):
    """Wait until the JavaScript ``expression`` is true in the page (a function: the page's
    Content-Security-Policy forbids ``eval``), up to 90 s: CI machines are slow."""
    kwargs.setdefault("timeout", 90_000)
    page.wait_for_function(f"() => {expression}", **kwargs)


@pytest.fixture
def tab(live_server, browser):
    """``(page, session)``: a connected tab in English and the server's session behind it."""
    address, app = live_server
    page = browser.new_page(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(address + "?lang=en")
    wait(page, "document.getElementById('status').textContent === 'connected'", timeout=20_000)
    wait(page, "state.update !== null")
    sessions = [s for s in app.state.manager.sessions.values() if s is not None]
    assert len(sessions) == 1
    try:
        yield page, sessions[0]
        assert not errors, errors
    finally:
        page.close()


def set_range(page, selector, value):
    """Move a slider as a person does: its value, then the ``change`` of the release."""
    page.eval_on_selector(selector, "(el, v) => { el.value = String(v); "
                          "el.dispatchEvent(new Event('input')); "
                          "el.dispatchEvent(new Event('change')); }", value)


def test_a_diverging_run_shows_a_warning_whose_button_lowers_the_rate(tab, shots):
    page, session = tab
    page.select_option("#dataset", "plane")
    page.select_option("#optimizer", "sgd")
    wait(page, "state.settings.optimizer === 'sgd' && state.settings.dataset === 'plane'")
    set_range(page, "#learning-rate", 1)  # 10^1: far too large a step
    wait(page, "state.settings.learning_rate === 10")
    assert page.locator("#warning").is_hidden()
    page.click("#play")
    wait(page, "!document.getElementById('warning').hidden")
    shown = page.locator("#warning-text").text_content()
    assert re.search(r"(diverged|exploding).*Try (a lower learning rate \()?1\)?, then reset",
                     shown), shown
    assert page.locator("#warning-fix").text_content() == "Use 1 and reset"
    page.locator("#output-panel").screenshot(path=str(shots / "playground-warning.png"))
    page.click("#warning-fix")
    wait(page, "state.settings.learning_rate === 1 && document.getElementById('warning').hidden")
    assert session.settings["learning_rate"] == 1.0 and session.steps == 0  # a new network


def test_feature_checkboxes_set_the_network_inputs(tab):
    page, session = tab
    assert page.is_checked("#feature-x1") and page.is_checked("#feature-x2")
    assert page.locator("#features input").count() == 7
    page.check("#feature-x1_squared")
    wait(page, "state.settings.features.join() === 'x1,x2,x1_squared'")
    assert session.model.layers[0].kernel.shape[0] == 3
    for name in ("x1", "x2"):
        page.uncheck("#feature-" + name)
    wait(page, "state.settings.features.join() === 'x1_squared'")
    page.click("#feature-x1_squared")  # the last one: it stays, a network needs an input
    page.wait_for_timeout(300)
    assert page.is_checked("#feature-x1_squared")
    assert session.settings["features"] == ["x1_squared"]
    assert session.model.layers[0].kernel.shape[0] == 1


def test_the_noise_slider_redraws_noisier_points(tab):
    page, session = tab
    before = page.evaluate("() => state.data.train.map((p) => Math.hypot(p[0], p[1]))")
    generation = page.evaluate("() => state.data.generation")
    set_range(page, "#noise", 0.5)  # then wait for the data drawn after it, not an older one
    wait(page, f"state.settings.noise === 0.5 && state.data.generation > {generation}")
    wait(page, "document.getElementById('noise-value').textContent === '0.50'")
    assert session.settings["noise"] == 0.5
    after = page.evaluate("() => state.data.train.map((p) => Math.hypot(p[0], p[1]))")

    def spread(radii):  # circles: the points' distances to their ring grow with the noise
        return sum(min(abs(r - 1), abs(r - 0.5)) for r in radii) / len(radii)

    assert spread(after) > 3 * spread(before)


def test_the_train_share_slider_moves_points_to_the_test_set(tab):
    page, session = tab
    set_range(page, "#train-ratio", 0.8)
    wait(page, "state.data.train.length === 240 && state.data.test.length === 60")
    assert page.locator("#train-ratio-value").text_content() == "80 %"
    assert "240" in page.locator("#point-count").text_content()
    assert (len(session.x_train), len(session.x_test)) == (240, 60)


def dark_pixels(page):
    """Pixels of the plane drawn in the test points' dark ring colour."""
    return page.evaluate("""() => {
        const c = document.getElementById('plane');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 90 && d[i + 1] < 90 && d[i + 2] < 90) n++;
        return n;
    }""")


def test_the_test_points_can_be_hidden(tab):
    page, _ = tab
    shown = dark_pixels(page)
    page.uncheck("#show-test")
    page.wait_for_timeout(200)
    hidden = dark_pixels(page)
    assert shown > 200 and hidden < shown / 10, (shown, hidden)
    page.check("#show-test")
    page.wait_for_timeout(200)
    assert dark_pixels(page) == pytest.approx(shown, rel=0.05)


def test_the_exported_code_has_the_clicked_points_and_a_wide_box(tab, shots):
    page, session = tab
    count = page.evaluate("() => state.data.train.length")
    page.click("#plane", position={"x": 40, "y": 40})
    wait(page, f"state.data.train.length === {count + 1}")
    with page.expect_download() as download:
        page.click("#export-python")
    wait(page, "!document.getElementById('code-panel').hidden")
    code = page.locator("#code").text_content()
    assert code == session.export_python()
    assert "added = [(" in code and f"default_rng({session.split_seed})" in code
    assert download.value.suggested_filename == "playground.py"
    box = page.locator("#code").bounding_box()
    assert box["width"] >= 900  # 100 columns of code fit at a 1280-pixel wide window
    page.locator("#code-panel").screenshot(path=str(shots / "playground-code.png"))
