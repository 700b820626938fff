"""The playground page as a learner sees it, in headless Chromium talking to the real server:
the network drawn as a network (nodes, links coloured and sized by the weights, legend), the
epoch counter, the speed control and the "one step" button, a transformed-space view that does
not collapse when units saturate, a layout that fits a laptop and a phone, and the page in French
and English. Screenshots are saved under the test's tmp dir (or ``$PROFOND_SCREENSHOT_DIR``).
"""

import math
import re
import time

import numpy
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")

LAPTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
ORANGE, BLUE = "#ff7f0e", "#1f77b4"  # positive and negative weights (classes 1 and 0)


def wait(page, expression, **kwargs):
    """Wait until the JavaScript ``expression`` is true in the page (a function, not a string
    to evaluate: the page's Content-Security-Policy forbids ``eval``); up to 90 s."""
    kwargs.setdefault("timeout", 90_000)
    page.wait_for_function(f"() => {expression}", **kwargs)


def open_page(browser, address, viewport=LAPTOP, query="?lang=en"):
    """A new tab (its own storage) on the playground, connected and drawn; (page, errors)."""
    page = browser.new_page(viewport=viewport, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(address + query)
    wait(page, "document.getElementById('status').classList.contains('ok')", timeout=20_000)
    wait(page, "document.querySelectorAll('path.link[stroke]').length > 0")
    return page, errors


def the_session(app):
    sessions = list(app.state.manager.sessions.values())
    assert len(sessions) == 1, len(sessions)
    return sessions[0]


def links(page):
    """Every drawn link: layer, from, to, stroke, width, and its path's two end points."""
    return page.evaluate("""() => [...document.querySelectorAll('path.link')].map((p) => {
        const numbers = p.getAttribute('d').match(/-?[0-9.]+/g).map(Number);
        return {layer: +p.dataset.layer, from: +p.dataset.from, to: +p.dataset.to,
                stroke: p.getAttribute('stroke'), width: +p.getAttribute('stroke-width'),
                start: numbers.slice(0, 2), end: numbers.slice(-2)};
    })""")


def boxes(page, selector, relative_to="#network-inner"):
    return page.evaluate("""([selector, origin]) => {
        const o = document.querySelector(origin).getBoundingClientRect();
        return [...document.querySelectorAll(selector)].map((e) => {
            const r = e.getBoundingClientRect();
            return [r.left - o.left, r.right - o.left, r.top - o.top + r.height / 2];
        });
    }""", [selector, relative_to])


def closed(app):
    deadline = time.monotonic() + 10
    while len(app.state.manager) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_network_is_drawn_with_links_coloured_and_sized_by_its_weights(live_server, browser,
                                                                           shots):
    address, app = live_server
    page, errors = open_page(browser, address)
    try:
        # The default network: 2 inputs, 8 hidden units, 2 outputs (the circles' classes).
        assert page.locator("canvas.node.input").count() == 2
        assert page.locator("canvas.neuron").count() == 8
        assert page.locator("canvas.node.output").count() == 2
        assert [t.strip() for t in page.locator(".feature span").all_text_contents()] == \
            ["x₁", "x₂"]
        page.click("#one-step")  # the page now shows the weights after exactly one step
        session = the_session(app)
        wait(page, "document.getElementById('epoch').textContent === '0'")
        deadline = time.monotonic() + 30
        while session.steps != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.steps == 1
        wait(page, "document.getElementById('steps').textContent === '1'")  # drawn
        kernels = [layer.kernel.numpy() for layer in session.model.layers]
        drawn = links(page)
        assert len(drawn) == 2 * 8 + 8 * 2
        largest = max(numpy.abs(k).max() for k in kernels)
        for link in drawn:
            w = float(kernels[link["layer"]][link["from"], link["to"]])
            assert link["stroke"] == (ORANGE if w >= 0 else BLUE), (link, w)
            # width 0.4 + 4.6 |w| / max |w|, from weights rounded to 4 decimals
            assert link["width"] == pytest.approx(0.4 + 4.6 * abs(w) / largest, abs=0.02)
        assert max(link["width"] for link in drawn) == pytest.approx(5.0)
        legend = page.locator("#weight-scale").text_content()
        assert f"{largest:.3g}" in legend, (legend, largest)
        assert page.locator(".weight-legend .negative").is_visible()
        # Each link runs from the right edge of its node to the left edge of the next one.
        columns = [boxes(page, "canvas.node.input"), boxes(page, "canvas.neuron"),
                   boxes(page, "canvas.node.output")]
        for link in drawn:
            a = columns[link["layer"]][link["from"]]
            b = columns[link["layer"] + 1][link["to"]]
            assert link["start"] == pytest.approx([a[1], a[2]], abs=1)
            assert link["end"] == pytest.approx([b[0], b[2]], abs=1)

        # Pointing at a line tells its weight.
        link = "path.link[data-layer='1'][data-from='3'][data-to='1']"
        page.dispatch_event(link, "mouseover")
        tooltip = page.locator(link + " title").text_content()
        value, joined = re.fullmatch(r"w = (-?\d\.\d{3}): (.*)", tooltip).groups()
        assert float(value) == pytest.approx(float(kernels[1][3, 1]), abs=6e-4)
        assert joined == "layer 1, neuron 3 → output 1"
        assert page.evaluate("""(selector) => {  // the line itself takes the pointer
            const box = document.querySelector(selector).getBoundingClientRect();
            const hit = document.elementFromPoint(box.left + box.width / 2,
                                                  box.top + box.height / 2);
            return hit.tagName === 'path' && hit.classList.contains('link');
        }""", link)

        # A neuron is picked for the transformed space with the keyboard as with the mouse.
        page.focus("canvas.neuron[data-layer='1'][data-neuron='4']")
        page.keyboard.press("Shift+Enter")
        wait(page, "document.getElementById('transform-caption').textContent"
                   ".endsWith('neuron 4 → y')")
        assert session.view == {"layer": 1, "x": 0, "y": 4}

        # A second hidden layer: the links follow the new architecture.
        page.click("#add-layer")
        wait(page, "document.querySelectorAll('path.link').length === 2 * 8 + 8 * 8 + 8 * 2")
        wait(page, "document.querySelectorAll('path.link[stroke]').length === 96")
        assert page.locator("#layers .layer").count() == 2
        page.locator("#network-panel").screenshot(path=str(shots / "view-network.png"))
        assert not errors, errors
    finally:
        page.close()
    closed(app)


def test_epochs_are_whole_numbers_and_speed_and_one_step_control_training(live_server, browser):
    address, app = live_server
    page, errors = open_page(browser, address)
    try:
        session = the_session(app)
        page.select_option("#speed", "slow")
        deadline = time.monotonic() + 20
        while session.settings["speed"] != "slow" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.settings["speed"] == "slow"
        steps = session.steps
        page.click("#play")
        wait(page, "document.getElementById('play').textContent === 'Pause'")
        page.wait_for_timeout(2000)
        page.click("#play")
        wait(page, "document.getElementById('play').textContent === 'Play'")
        slow = session.steps - steps
        assert 1 <= slow <= 12, slow  # about four single steps a second

        page.select_option("#speed", "fast")
        deadline = time.monotonic() + 20
        while session.settings["speed"] != "fast" and time.monotonic() < deadline:
            time.sleep(0.05)
        steps = session.steps
        page.click("#play")
        shown = set()
        for _ in range(20):  # the counter shown while training: whole epochs only
            page.wait_for_timeout(100)
            shown.add(page.locator("#epoch").text_content())
        page.click("#play")
        wait(page, "document.getElementById('play').textContent === 'Play'")
        fast = session.steps - steps
        assert fast > 3 * slow, (fast, slow)
        assert all(re.fullmatch(r"\d+", value) for value in shown), shown
        whole = math.floor(round(session.epoch, 3))  # the update's epoch has 3 decimals
        wait(page, f"document.getElementById('epoch').textContent === '{whole}'")

        steps = session.steps
        page.click("#one-step")
        deadline = time.monotonic() + 20
        while session.steps == steps and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.steps == steps + 1 and not session.playing
        wait(page, f"document.getElementById('steps').textContent === '{steps + 1}'")
        assert not errors, errors
    finally:
        page.close()
    closed(app)


def point_box(page):
    """The box of the data points drawn on the transformed-space canvas (pixels of the classes'
    colours), as fractions of the canvas: (width, height)."""
    return page.evaluate("""() => {
        const c = document.getElementById('transform');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const near = (i, rgb) => Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1])
            + Math.abs(data[i + 2] - rgb[2]) < 40;
        let [x0, x1, y0, y1] = [c.width, -1, c.height, -1];
        for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
            const i = 4 * (y * c.width + x);
            if (near(i, [255, 127, 14]) || near(i, [31, 119, 180])) {
                x0 = Math.min(x0, x); x1 = Math.max(x1, x);
                y0 = Math.min(y0, y); y1 = Math.max(y1, y);
            }
        }
        return [(x1 - x0) / c.width, (y1 - y0) / c.height];
    }""")


def test_the_transformed_space_does_not_collapse_when_units_saturate(live_server, browser,
                                                                    shots):
    address, app = live_server
    page, errors = open_page(browser, address)
    try:
        page.select_option("#activation", "sigmoid")
        session = the_session(app)
        deadline = time.monotonic() + 20
        while session.settings["activation"] != "sigmoid" and time.monotonic() < deadline:
            time.sleep(0.05)
        page.wait_for_timeout(500)
        # Drive the first two units deep into saturation: every point gives 0.9999…
        hidden = session.model.layers[0]
        kernel = hidden.kernel.numpy().copy()
        bias = hidden.bias.numpy().copy()
        kernel[:, :2] = [[0.5, -0.3], [0.2, 0.6]]
        bias[:2] = 9.5
        hidden.kernel.assign(kernel)
        hidden.bias.assign(bias)
        page.select_option("#transform-y", "0")
        page.select_option("#transform-y", "1")  # a view message: a fresh update is drawn
        wait(page, "document.getElementById('transform-caption').textContent"
                   ".endsWith('neuron 1 → y')")
        page.wait_for_timeout(500)
        points = numpy.array(session.snapshot()["transform"]["points"]).reshape(-1, 2)
        assert points.min() > 0.999  # saturated
        width, height = point_box(page)
        assert width > 0.6 and height > 0.6, (width, height)
        page.locator("#transform-panel").screenshot(path=str(shots / "view-saturated.png"))
        assert not errors, errors
    finally:
        page.close()
    closed(app)


LAYOUT_CHECK = """() => {
    const W = window.innerWidth;
    const visible = (e) => {
        const r = e.getBoundingClientRect();
        const style = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && style.visibility !== 'hidden';
    };
    const inScroller = (e) => e.closest('#network') !== null;
    const problems = [];
    if (document.scrollingElement.scrollWidth > W) {
        problems.push(`horizontal scroll: ${document.scrollingElement.scrollWidth} > ${W}`);
    }
    const selector = 'header *, .panel, .panel h2, .panel h3, .panel label, .panel button, ' +
        '.panel select, .panel input, .panel canvas, .panel output, .panel p, pre#code, ' +
        '#network';
    const elements = [...document.querySelectorAll(selector)].filter(visible);
    for (const e of elements) {
        if (inScroller(e)) continue;  // the network scrolls inside its own box
        const r = e.getBoundingClientRect();
        if (r.left < -0.5 || r.right > W + 0.5) {
            problems.push(`outside: ${e.tagName}#${e.id}.${e.className} ${r.left}..${r.right}`);
        }
    }
    // No two of these overlap: panels, header groups, and the controls of the page.
    const groups = [
        [...document.querySelectorAll('main > .panel')],
        [...document.querySelectorAll('header > *')],
        [...document.querySelectorAll('.panel button, .panel select, .panel input, ' +
                                      '.panel canvas:not(.node), header button, header select')]
            .filter((e) => !inScroller(e)),
    ];
    for (const group of groups) {
        const shown = group.filter(visible);
        for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) {
            const a = shown[i].getBoundingClientRect();
            const b = shown[j].getBoundingClientRect();
            const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
                Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
            if (overlap) problems.push(`overlap: ${shown[i].tagName}#${shown[i].id} and ` +
                                       `${shown[j].tagName}#${shown[j].id}`);
        }
    }
    // The nodes of the network do not overlap each other either.
    const nodes = [...document.querySelectorAll('canvas.node')].map((e) =>
        e.getBoundingClientRect());
    for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) {
        const [a, b] = [nodes[i], nodes[j]];
        if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
            Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5) {
            problems.push(`nodes ${i} and ${j} overlap`);
        }
    }
    const code = document.getElementById('code');
    const style = getComputedStyle(code);
    const probe = document.createElement('span');
    probe.textContent = 'x'.repeat(100);
    probe.style.font = style.font;
    code.append(probe);
    const charWidth = probe.getBoundingClientRect().width / 100;
    probe.remove();
    const columns = (code.clientWidth - parseFloat(style.paddingLeft)
                     - parseFloat(style.paddingRight)) / charWidth;
    return {problems, fontSize: parseFloat(style.fontSize), columns,
            networkWidth: document.getElementById('network').getBoundingClientRect().width};
}"""


@pytest.mark.parametrize("name, viewport, columns", [("laptop", LAPTOP, 90),
                                                      ("phone", PHONE, 40)])
def test_the_layout_fits_a_laptop_and_a_phone(live_server, browser, shots, name, viewport,
                                              columns):
    address, app = live_server
    page, errors = open_page(browser, address, viewport)
    try:
        with page.expect_download():
            page.click("#export-python")
        wait(page, "!document.getElementById('code').hidden")
        page.click("#help-toggle")  # the help lines take room too
        wait(page, "document.body.classList.contains('show-help')")
        page.wait_for_timeout(300)
        report = page.evaluate(LAYOUT_CHECK)
        page.screenshot(path=str(shots / f"view-{name}.png"), full_page=True)
        assert report["problems"] == [], report["problems"]
        assert report["fontSize"] >= 12
        assert report["columns"] >= columns, report  # the code box shows whole lines
        # The biggest network the page allows: it scrolls inside its own box, the page does not.
        session = the_session(app)
        page.evaluate("() => sendSettings({layers: [16, 16, 16, 16, 16, 16]})")
        wait(page, "document.querySelectorAll('canvas.neuron').length === 96")
        wait(page, "document.querySelectorAll('path.link[stroke]').length === "
                   "2 * 16 + 5 * 16 * 16 + 16 * 2")
        assert session.settings["layers"] == [16] * 6
        page.wait_for_timeout(300)
        report = page.evaluate(LAYOUT_CHECK)
        page.screenshot(path=str(shots / f"view-{name}-big.png"), full_page=True)
        assert report["problems"] == [], report["problems"]
        assert report["networkWidth"] <= viewport["width"]
        assert not errors, errors
    finally:
        page.close()
    closed(app)


def test_the_page_speaks_french_by_default_and_english_on_request(live_server, browser):
    address, app = live_server
    page, errors = open_page(browser, address, query="")
    try:
        def shown(selector):
            return (page.locator(selector).first.text_content() or "").strip()

        assert page.evaluate("() => document.documentElement.lang") == "fr"
        assert shown("#play") == "Lancer"
        assert shown("#data-panel h2") == "Données"
        assert shown("#status") == "connecté"
        assert shown("#one-step") == "Un pas"
        assert shown("#layer-word") == "couche cachée"  # 1 couche cachée, 2 couches cachées
        assert page.locator("#dataset option[value='spiral']").text_content() == "spirale"
        assert page.locator("#learning-rate").get_attribute("title").startswith("Taille des pas")
        assert shown("#point-count").endswith("de test")
        assert page.locator("small.help").first.is_hidden()
        page.click("#help-toggle")  # the help lines, for a touch screen
        assert page.locator("small.help[data-for='noise']").is_visible()
        assert shown("small.help[data-for='noise']").startswith("Bruit ajouté")
        assert page.locator("#help-list dd").count() >= 5
        settings = dict(the_session(app).settings)

        page.click("#lang-en")
        wait(page, "document.getElementById('play').textContent === 'Play'")
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert shown("#data-panel h2") == "Data"
        assert shown("#layer-word") == "hidden layer"
        assert shown("#status") == "connected"
        assert page.locator("#dataset option[value='spiral']").text_content() == "spiral"
        assert page.locator("#learning-rate").get_attribute("title").startswith("Size of the")
        assert shown("small.help[data-for='noise']").startswith("Noise added")
        assert shown("#point-count").endswith("test")
        assert page.locator("#lang-en").get_attribute("aria-pressed") == "true"
        assert the_session(app).settings == settings  # a language is no setting of the run
        page.click("#play")
        wait(page, "document.getElementById('play').textContent === 'Pause'")
        page.click("#play")
        wait(page, "document.getElementById('play').textContent === 'Play'")

        page.reload()  # the choice is remembered
        wait(page, "document.getElementById('status').classList.contains('ok')",
             timeout=20_000)
        assert shown("#play") == "Play"
        page.goto(address + "?lang=fr")  # and the address wins
        wait(page, "document.getElementById('status').classList.contains('ok')",
             timeout=20_000)
        assert shown("#play") == "Lancer"
        wait(page, "document.getElementById('transform-caption').textContent"
                   ".startsWith('couche cachée 1 : neurone 0 → x')")
        assert not errors, errors
    finally:
        page.close()
    closed(app)
