"""The playground's maze page, without a browser: the session (profond's Q-learning on the drawn
maze) and its WebSocket protocol (``/ws/maze``), run in-process with Starlette's TestClient."""

import json
import re
import sys
import time

import numpy
import pytest

pytest.importorskip("gymnasium", reason="the rl extra (gymnasium) is not installed")
pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
try:
    import httpx2  # noqa: F401  (Starlette's TestClient needs httpx2, or httpx)
except ImportError:
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx2 (or httpx)")

from starlette.testclient import TestClient  # noqa: E402

from profond.playground import maze as maze_lib  # noqa: E402
from profond.playground import server  # noqa: E402
from profond.playground.maze import MazeSession, parse_grid, presets  # noqa: E402
from profond.playground.session import SettingsError  # noqa: E402
from profond.rl import action_values, value_iteration  # noqa: E402
from profond.rl.envs import MAZES  # noqa: E402

STARTUP = ("hello", "settings", "maze", "update", "state")  # what a new maze tab receives
CORRIDOR = "S..E"


# --------------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------------
def test_the_default_maze_is_the_courses_robot_and_every_preset_fits_the_page():
    session = MazeSession(seed=0)
    assert session.text == MAZES["robot"]
    assert set(presets()) == set(MAZES)  # every built-in map fits in 16 × 16
    snapshot = session.snapshot()
    assert snapshot["steps"] == snapshot["episodes"] == 0
    assert snapshot["path"] == [session.env.start]
    cells = session.text.replace("\n", "")
    for i, char in enumerate(cells):  # nothing learned yet: no value, no arrow anywhere
        assert snapshot["values"][i] is None and snapshot["policy"][i] == -1, char


def test_the_exit_neighbour_gets_a_positive_value_and_an_arrow_to_the_exit():
    session = MazeSession(seed=1, maze=CORRIDOR)
    assert session.train(steps=200) == 200
    snapshot = session.snapshot()
    assert snapshot["values"][2] > 0.5  # one step from the exit (+1)
    assert snapshot["policy"][2] == 1  # → right
    assert snapshot["values"][3] is None  # the exit itself: the episode ends there
    assert snapshot["episodes"] == len(snapshot["returns"]) > 10  # one point an episode
    assert snapshot["last_return"] == snapshot["returns"][-1] <= 0.98  # 2 steps, then +1
    assert all(r <= 1.0 for r in snapshot["returns"])


def test_the_path_follows_each_step_and_restarts_with_each_episode():
    session = MazeSession(seed=2, maze=CORRIDOR, settings={"epsilon": 0.0})
    session.train(steps=1)
    assert len(session.snapshot()["path"]) == 2 and session.steps == 1
    session.train(steps=60)
    snapshot = session.snapshot()
    assert snapshot["path"][0] == 0  # the start
    assert snapshot["last_path"][0] == 0 and snapshot["last_path"][-1] == 3  # ended at the exit
    assert snapshot["episodes"] >= 1 and session.steps == 61
    # Every step of a finished episode went to a neighbouring cell (or stayed at the wall).
    assert all(abs(a - b) <= 1 for a, b in zip(snapshot["last_path"], snapshot["last_path"][1:]))


def greedy_walk(session, policy):
    """The cells the robot visits from the start following ``policy`` (no slipping), up to an
    exit or a trap (or 100 steps)."""
    model = session.env.transition_model()  # P[s][a] = [(p, s', r, terminated)]
    cell, path = session.start, [session.start]
    while session.cell(cell) not in "ET" and len(path) <= 100:
        cell = model[cell][int(policy[cell])][0][1]  # no slipping: one outcome
        path.append(cell)
    return path


@pytest.mark.parametrize("name", sorted(MAZES))
def test_q_learning_in_the_page_finds_a_shortest_way_out_of_every_built_in_maze(name):
    session = MazeSession(seed=0, maze=MAZES[name])  # the page's defaults
    _, optimal = value_iteration(session.env, gamma=session.settings["gamma"])
    best = greedy_walk(session, optimal)
    assert session.cell(best[-1]) == "E"
    start = time.perf_counter()
    while True:
        session.train(steps=500)
        walk = greedy_walk(session, session.agent.q_table.argmax(axis=1))
        if session.cell(walk[-1]) == "E" and len(walk) == len(best):
            break
        assert session.steps < 20_000, f"no shortest way out after {session.steps} steps"
    assert time.perf_counter() - start < 10
    agreement = session.snapshot()["optimal"]
    assert len(walk) - 1 <= agreement["agree"] <= agreement["cells"]  # at least along the way
    acted = session.visited & session.reachable
    assert agreement["agree"] + len(agreement["off"]) == acted.sum()
    values, _ = value_iteration(session.env, gamma=session.settings["gamma"])
    q_star = action_values(session.env, values, gamma=session.settings["gamma"])
    q = session.agent.q_table
    for cell in range(len(q)):  # "off": exactly the cells whose greedy action is not optimal
        is_off = bool(acted[cell]) and q_star[cell, q[cell].argmax()] < q_star[cell].max() - 1e-6
        assert (cell in agreement["off"]) == is_off, cell


def test_on_the_cliff_sarsa_learns_the_safe_way_and_q_learning_the_short_one():
    rows_walked = {}
    for agent in ("qlearning", "sarsa"):
        session = MazeSession(seed=0, maze=MAZES["cliff"],
                              settings={"agent": agent, "learning_rate": 0.1})
        assert type(session.agent).__name__ == {"qlearning": "QLearning", "sarsa": "SARSA"}[agent]
        for _ in range(60):
            session.train(steps=500)
            walk = greedy_walk(session, session.agent.q_table.argmax(axis=1))
            rows_walked[agent] = sorted({cell // 8 for cell in walk})
            safe = 0 in rows_walked[agent]  # the row far from the traps
            if session.cell(walk[-1]) == "E" and safe == (agent == "sarsa"):
                break
    assert rows_walked == {"qlearning": [1, 2], "sarsa": [0, 1, 2]}  # the traps are in row 2


def test_a_maze_without_exit_or_start_keeps_the_environments_message():
    session = MazeSession(seed=0, maze="S..\n...")
    assert session.agent is None and "exit" in session.error and "MazeEnv" in session.error
    assert session.snapshot()["values"] is None
    with pytest.raises(SettingsError, match="cannot be played.*exit"):
        session.train(steps=1)
    session.set_maze("...\n..E")
    assert "start" in session.error
    session.set_maze("S..\n..E")
    assert session.error is None and session.train(steps=3) == 3


@pytest.mark.parametrize("text, match", [
    ("S..\n..", "rows of 3 cells.*row 1 has 2"),
    ("S.X\n..E", "Received: 'X' in row 0"),
    ("S" + "." * 16 + "E", "18 columns"),
    ("\n".join(["S" + "." * 15] + ["." * 16] * 15 + ["...E" + "." * 12]), "17 rows"),
    ("S" + "." * 16 + "\n" + "." * 16 + "E", "17 columns"),
    (42, "Expected the maze as text"),
])
def test_a_map_the_page_cannot_draw_is_refused_and_the_old_one_stays(text, match):
    session = MazeSession(seed=0, maze=CORRIDOR)
    with pytest.raises(SettingsError, match=match):
        session.set_maze(text)
    assert session.text == CORRIDOR and session.agent is not None


def test_a_maze_whose_exit_is_walled_off_plays_with_a_warning():
    session = MazeSession(seed=0, maze="S.#.\n..#E")
    assert session.error is None and "No exit can be reached" in session.warning
    assert session.train(steps=50) == 50  # it still plays: the robot wanders, and pays
    snapshot = session.snapshot()
    assert snapshot["optimal"] is None and all(r < 0 for r in snapshot["returns"])
    session.set_maze("S...\n..#E")
    assert session.warning is None and session.snapshot()["optimal"]["cells"] == 6


def test_parse_grid_returns_the_rows():
    assert parse_grid("S.#\n.TE") == ["S.#", ".TE"]


def test_alpha_gamma_and_epsilon_change_without_forgetting_slipperiness_restarts():
    session = MazeSession(seed=3, maze=CORRIDOR)
    session.train(steps=100)
    q, episodes = session.agent.q_table.copy(), session.episodes
    changed = session.apply({"learning_rate": 0.1, "gamma": 0.9, "epsilon": 0.05})
    assert changed == {"learning_rate", "gamma", "epsilon"}
    assert numpy.array_equal(session.agent.q_table, q) and session.episodes == episodes
    assert session.agent.learning_rate == pytest.approx(0.1)
    assert session.agent.gamma == pytest.approx(0.9)
    assert session.apply({"speed": "fast"}) == {"speed"}
    session.apply({"agent": "sarsa"})  # another algorithm: learning starts again
    assert type(session.agent).__name__ == "SARSA" and not session.agent.q_table.any()
    assert session.agent.learning_rate == pytest.approx(0.1)
    session.train(steps=100)
    session.apply({"slippery": 0.2})
    assert session.env.slippery == pytest.approx(0.2)
    assert not session.agent.q_table.any() and session.episodes == session.steps == 0


@pytest.mark.parametrize("changes, match", [
    ({"learning_rate": 0.0}, "between"),
    ({"gamma": 1.5}, "between"),
    ({"epsilon": "high"}, "Expected a number"),
    ({"slippery": float("nan")}, "finite"),
    ({"speed": "warp"}, "one of slow, medium, fast"),
    ({"agent": "dqn"}, "one of qlearning, sarsa"),
    ({"alpha": 0.5}, "Unknown setting"),
    ([1, 2], "object of settings"),
])
def test_bad_settings_are_refused(changes, match):
    session = MazeSession(seed=0, maze=CORRIDOR)
    with pytest.raises(SettingsError, match=match):
        session.apply(changes)
    assert session.settings == maze_lib.DEFAULTS


def test_the_returns_chart_stays_small():
    session = MazeSession(seed=0, maze=CORRIDOR)
    for episode in range(1000):  # returns 0, 1, …, 999
        session._add_return(float(episode))
        assert len(session._chart_points()) <= maze_lib.MAX_CHART_POINTS
    chart = session.snapshot()
    assert chart["returns_every"] == 8 and len(chart["returns"]) == 125  # 1000 / 8
    assert chart["returns"][0] == 3.5 and chart["returns"][-1] == 995.5  # means of 8
    session._add_return(2000.0)  # a bucket begins: its mean so far is the last point
    assert session.snapshot()["returns"][-1] == 2000.0


def test_training_stops_when_the_scheduler_asks():
    session = MazeSession(seed=0, maze=MAZES["robot"])
    asked = []

    def should_stop():
        asked.append(1)
        return len(asked) >= 7

    assert session.train(seconds=5.0, should_stop=should_stop) == 7
    assert session.steps == 7


# --------------------------------------------------------------------------------------------
# The protocol
# --------------------------------------------------------------------------------------------
@pytest.fixture
def client():
    with TestClient(server.create_app()) as test_client:
        yield test_client


def receive_until(ws, kind, limit=400, where=lambda message: True):
    """Messages up to and including the first of type ``kind`` for which ``where`` holds."""
    seen = []
    for _ in range(limit):
        message = json.loads(ws.receive_text())
        seen.append(message)
        if message["type"] == kind and where(message):
            return message, seen
    raise AssertionError(f"no {kind!r} message in {limit}: {[m['type'] for m in seen]}")


def open_tab(client):
    context = client.websocket_connect("/ws/maze")
    ws = context.__enter__()
    first = {}
    for expected in STARTUP:
        message = json.loads(ws.receive_text())
        assert message["type"] == expected, message
        first[expected] = message
    return context, ws, first


def send(ws, kind, **fields):
    ws.send_text(json.dumps({"type": kind, **fields}))


def test_the_maze_page_is_served_with_the_playgrounds_headers(client):
    response = client.get("/maze")
    assert response.status_code == 200
    assert 'id="maze"' in response.text and "/static/maze.js" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for name in ("maze.js", "maze.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_without_gymnasium_the_maze_page_says_what_to_install(monkeypatch):
    for name in [m for m in sys.modules if m.startswith(("profond.rl", "profond.playground.maze"))]:
        monkeypatch.delitem(sys.modules, name)  # put back after the test
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # import gymnasium fails
    with TestClient(server.create_app()) as client:
        response = client.get("/maze")
        assert response.status_code == 501
        assert "rl extra (gymnasium is missing)" in response.text
        assert client.get("/").status_code == 200  # the networks page works without it


def test_a_new_tab_gets_the_presets_the_maze_and_a_first_update(client):
    context, ws, first = open_tab(client)
    try:
        options = first["hello"]["options"]
        assert options["presets"]["robot"] == MAZES["robot"]
        assert options["rewards"] == {"exit": 1.0, "trap": -1.0, "step": -0.01}
        assert first["maze"]["maze"] == MAZES["robot"]
        assert first["maze"]["error"] is None and first["maze"]["warning"] is None
        robot = MAZES["robot"].split("\n")
        assert (first["maze"]["rows"], first["maze"]["columns"]) == (len(robot), len(robot[0]))
        assert first["update"]["generation"] == first["maze"]["generation"]
        assert first["update"]["optimal"]["agree"] == 0
        assert first["state"] == {"type": "state", "playing": False}
        assert len(client.app.state.manager) == 1
    finally:
        context.__exit__(None, None, None)
    deadline = time.monotonic() + 5
    while len(client.app.state.manager) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(client.app.state.manager) == 0


def test_step_play_pause_and_reset(client):
    context, ws, first = open_tab(client)
    try:
        send(ws, "maze", maze=CORRIDOR)
        drawn, _ = receive_until(ws, "maze")
        assert drawn["maze"] == CORRIDOR and drawn["generation"] > first["maze"]["generation"]
        send(ws, "step")
        update, _ = receive_until(ws, "update", where=lambda m: m["steps"] == 1)
        assert len(update["path"]) == 2
        send(ws, "settings", settings={"speed": "fast"})
        echo, _ = receive_until(ws, "settings")
        assert echo["settings"]["speed"] == "fast"
        send(ws, "play")
        receive_until(ws, "state", where=lambda m: m["playing"])
        update, _ = receive_until(ws, "update", where=lambda m: m["episodes"] >= 20)
        assert update["values"][2] > 0 and update["policy"][2] == 1
        every = update["returns_every"]
        assert len(update["returns"]) <= maze_lib.MAX_CHART_POINTS
        assert len(update["returns"]) == -(-update["episodes"] // every)
        send(ws, "pause")
        _, seen = receive_until(ws, "state", where=lambda m: not m["playing"])
        last = [m for m in seen if m["type"] == "update"][-1]
        session = next(iter(client.app.state.manager.sessions.values()))
        assert last["steps"] == session.steps  # the page shows every step taken
        send(ws, "reset")
        fresh, _ = receive_until(ws, "update")
        assert fresh["steps"] == fresh["episodes"] == 0 and fresh["returns"] == []
    finally:
        context.__exit__(None, None, None)


def test_an_unplayable_maze_shows_the_environments_error_and_the_tab_stays(client):
    context, ws, _ = open_tab(client)
    try:
        send(ws, "maze", maze="S..\n...")
        drawn, _ = receive_until(ws, "maze")
        assert "exit" in drawn["error"] and drawn["maze"] == "S..\n..."
        send(ws, "play")
        error, _ = receive_until(ws, "error")
        assert "cannot be played" in error["message"] and "exit" in error["message"]
        send(ws, "step")
        error, _ = receive_until(ws, "error")
        assert "cannot be played" in error["message"]
        send(ws, "maze", maze="S..\n..E")
        drawn, _ = receive_until(ws, "maze")
        assert drawn["error"] is None
    finally:
        context.__exit__(None, None, None)


@pytest.mark.parametrize("message, match", [
    ({"type": "maze", "maze": "S" * 300}, "text of at most 272"),
    ({"type": "maze", "maze": 5}, "text of at most"),
    ({"type": "maze", "maze": "S.?\n..E"}, "Received: '\\?' in row 0"),
    ({"type": "maze"}, "Missing field 'maze'"),
    ({"type": "add_point", "x": 0, "y": 0, "label": 0}, "Unknown message type"),
    ({"type": "settings", "settings": {"gamma": 2}}, "between"),
    ({"type": "play", "fast": True}, "Unexpected field"),
])
def test_bad_messages_get_an_error_and_the_tab_stays(client, message, match):
    context, ws, first = open_tab(client)
    try:
        ws.send_text(json.dumps(message))
        error, _ = receive_until(ws, "error")
        assert re.search(match, error["message"]), error["message"]
        send(ws, "step")  # still served, with the old maze
        update, _ = receive_until(ws, "update")
        assert update["steps"] == 1 and update["generation"] == first["maze"]["generation"]
    finally:
        context.__exit__(None, None, None)


def test_maze_tabs_count_in_the_session_quota(client):
    manager = client.app.state.manager
    manager.max_per_client = 1
    context, _, _ = open_tab(client)
    try:
        with client.websocket_connect("/ws/maze") as second:
            refusal = json.loads(second.receive_text())
            assert refusal["type"] == "error" and "Too many open sessions" in refusal["message"]
    finally:
        context.__exit__(None, None, None)
