"""End to end: the maze page in headless Chromium (Debian's ``chromium`` + Playwright for
Python), talking to the real server (uvicorn) on an ephemeral port of 127.0.0.1: the user draws
a maze, presses play and watches profond's Q-learning learn it.

Needs ``apt-get install chromium``, ``pip install playwright`` (never ``playwright install``:
the browser comes from Debian) and the ``rl`` extra (Gymnasium). Skipped, with the reason, when
one is missing. Screenshots go to a temporary folder, or to ``$PROFOND_SCREENSHOT_DIR``
(the ``browser`` and ``shots`` fixtures of ``conftest.py``).
"""

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")
pytest.importorskip("gymnasium", reason="the rl extra (gymnasium) is not installed")

from profond.rl.envs import MAZES  # noqa: E402

# The maze drawn in the first test (4 × 5): two walls dragged, a trap clicked.
DRAWN = ("S....\n"
         "..#..\n"
         "..#..\n"
         "..T.E")
EXIT_NEIGHBOUR = 2 * 5 + 4  # the cell above the exit


def wait(page, expression, **kwargs):
    """Wait until the JavaScript ``expression`` is true in the page (a function, not a string
    to evaluate: the page's Content-Security-Policy forbids ``eval``); up to 90 s."""
    kwargs.setdefault("timeout", 90_000)
    page.wait_for_function(f"() => {expression}", **kwargs)


def text(page, selector):
    return page.locator(selector).text_content() or ""


def cell(index):
    return f"#maze .cell[data-index='{index}']"


def number(page, selector):
    return int(text(page, selector))


def open_page(page, address):
    page.goto(address + "maze")
    wait(page, "document.getElementById('status').textContent === 'connected'", timeout=20_000)
    wait(page, "document.querySelectorAll('#maze .cell').length > 0")


def the_session(app):
    """The server's only session (the page's)."""
    sessions = [s for s in app.state.manager.sessions.values() if s is not None]
    assert len(sessions) == 1
    return sessions[0]


def test_draw_a_maze_play_and_watch_q_learning_find_the_exit(live_server, browser, shots):
    address, app = live_server
    page = browser.new_page(viewport={"width": 1300, "height": 860})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(address)  # the networks page links to the maze
        page.click("nav.pages a[href='/maze']")
        wait(page, "document.getElementById('status').textContent === 'connected'",
             timeout=20_000)
        wait(page, "document.querySelectorAll('#maze .cell').length > 0")
        session = the_session(app)
        robot = MAZES["robot"].split("\n")  # the courses' maze comes first
        assert page.locator("#maze .cell").count() == len(robot) * len(robot[0])
        assert page.locator("#preset").input_value() == "robot"
        assert page.locator("#maze .cell.trap").count() == MAZES["robot"].count("T")

        # A 4 × 5 maze: resize, clear (start top left, exit bottom right), then paint.
        page.select_option("#rows", "4")
        wait(page, f"document.querySelectorAll('#maze .cell').length === {4 * len(robot[0])}")
        page.select_option("#columns", "5")
        wait(page, "document.querySelectorAll('#maze .cell').length === 20")
        page.click("#clear")
        wait(page, "document.querySelectorAll('#maze .cell.wall, #maze .cell.trap').length === 0")
        assert page.locator(cell(0)).get_attribute("data-kind") == "start"
        assert page.locator(cell(19)).get_attribute("data-kind") == "exit"
        page.check("input[name=tool][value='#']")
        first, last = page.locator(cell(7)).bounding_box(), page.locator(cell(12)).bounding_box()
        page.mouse.move(first["x"] + first["width"] / 2, first["y"] + first["height"] / 2)
        page.mouse.down()
        page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] / 2, steps=6)
        page.mouse.up()
        page.check("input[name=tool][value='T']")
        page.click(cell(17))
        wait(page, f"document.querySelector(\"{cell(17)}\").dataset.kind === 'trap'")
        deadline = time.monotonic() + 10
        while session.text != DRAWN and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.text == DRAWN  # one message a stroke, echoed by the server
        assert page.locator("#maze .cell.wall").count() == 2
        assert page.locator("#preset").input_value() == ""  # a drawing of one's own

        # No exit: the environment's message is shown, play is off; the exit back: it is gone.
        page.check("input[name=tool][value='.']")
        page.click(cell(19))
        wait(page, "!document.getElementById('maze-error').hidden")
        assert "exit" in text(page, "#maze-error")
        assert page.locator("#play").is_disabled()
        page.check("input[name=tool][value='E']")
        page.click(cell(19))
        wait(page, "document.getElementById('maze-error').hidden")
        assert page.locator("#play").is_enabled() and session.text == DRAWN

        # One step: the robot leaves the start, the path shows it.
        page.click("#step")
        wait(page, "document.getElementById('steps').textContent === '1'")
        assert page.locator("#maze .cell.robot").count() == 1
        assert page.locator("#maze .cell.path").count() >= 1

        # Play fast until the cell above the exit is worth something and points down.
        page.select_option("#speed", "fast")
        wait(page, "document.getElementById('speed').value === 'fast'")
        page.click("#play")
        wait(page, "document.getElementById('play').textContent === 'Pause'")
        wait(page, "parseInt(document.getElementById('episodes').textContent) >= 5")
        points = int(page.locator("#returns").get_attribute("data-points"))
        wait(page, f"parseFloat(document.querySelector(\"{cell(EXIT_NEIGHBOUR)}\")"
                   ".dataset.value) > 0.5")
        wait(page, "parseInt(document.getElementById('episodes').textContent) >= 40")
        wait(page, f"parseInt(document.getElementById('returns').dataset.points) > {points}")
        page.click("#play")
        wait(page, "document.getElementById('play').textContent === 'Play'")
        assert text(page, cell(EXIT_NEIGHBOUR) + " .arrow") == "↓"
        assert page.locator(cell(EXIT_NEIGHBOUR)).get_attribute("title").startswith("V = ")
        coloured = page.eval_on_selector_all(
            "#maze .cell", "cells => cells.filter(c => c.style.backgroundColor).length")
        arrows = page.eval_on_selector_all(
            "#maze .cell .arrow", "spans => spans.filter(s => s.textContent).length")
        free = DRAWN.count(".") + 1  # free cells and the start
        assert coloured >= free // 2 and arrows >= free // 2, (coloured, arrows, free)
        assert page.locator("#maze .cell.wall .arrow:not(:empty)").count() == 0
        agree, cells = (int(x) for x in text(page, "#optimal").split(" / "))
        assert cells == free and agree >= 5
        page.check("#show-off")  # outline the cells whose greedy action is not optimal yet
        steps = session.steps
        assert int(text(page, "#steps")) == steps  # pausing showed the last steps
        page.click("#step")
        wait(page, f"document.getElementById('steps').textContent === '{steps + 1}'")
        off = session.snapshot()["optimal"]["off"]
        assert page.locator("#maze .cell.off").count() == len(off)
        assert agree + len(off) <= free
        assert float(text(page, "#last-return")) <= 1.0
        page.screenshot(path=str(shots / "playground-maze.png"))

        # The parameters go to the agent; reset forgets.
        page.locator("#epsilon").fill("0.05")
        page.locator("#epsilon").dispatch_event("change")
        wait(page, "document.getElementById('epsilon-value').textContent === '0.05'")
        deadline = time.monotonic() + 10
        while session.agent.exploration_final_eps != 0.05 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.agent.exploration_final_eps == 0.05
        page.click("#reset")
        wait(page, "document.getElementById('episodes').textContent === '0'")
        assert page.locator("#returns").get_attribute("data-points") == "0"
        assert page.locator("#maze .cell .arrow:not(:empty)").count() == 0
        assert not errors, errors
    finally:
        page.close()
    deadline = time.monotonic() + 10
    while len(app.state.manager) and time.monotonic() < deadline:  # the closed tab is freed
        time.sleep(0.05)
    assert len(app.state.manager) == 0


def test_a_built_in_maze_learned_slowly_shows_the_robot_walking(live_server, browser):
    address, app = live_server
    page = browser.new_page(viewport={"width": 1300, "height": 860})
    try:
        open_page(page, address)
        page.select_option("#preset", "cliff")
        rows = MAZES["cliff"].split("\n")
        wait(page, f"document.querySelectorAll('#maze .cell').length === "
                   f"{len(rows) * len(rows[0])}")
        assert page.locator("#maze .cell.trap").count() == MAZES["cliff"].count("T")
        page.select_option("#agent", "sarsa")  # the other algorithm, its update shown
        wait(page, "!document.getElementById('formula-sarsa').hidden")
        assert page.locator("#formula-qlearning").is_hidden()
        assert type(the_session(app).agent).__name__ == "SARSA"
        page.select_option("#speed", "slow")
        page.click("#play")
        seen = set()
        deadline = time.monotonic() + 30
        while len(seen) < 3 and time.monotonic() < deadline:  # the robot moves cell by cell
            seen.add(page.locator("#maze .cell.robot").get_attribute("data-index"))
            page.wait_for_timeout(150)
        assert len(seen) >= 3, seen
        steps = number(page, "#steps")
        assert 1 <= steps < 200  # slow: a few steps a second
        page.click("#play")
        wait(page, "document.getElementById('play').textContent === 'Play'")
    finally:
        page.close()
