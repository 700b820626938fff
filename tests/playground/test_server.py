"""The playground's server: the WebSocket protocol, message validation, isolated sessions, export.

Runs the Starlette app in-process with its TestClient (no network, no browser).
"""

import base64
import json
import re
import time

import numpy
import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
try:
    import httpx2  # noqa: F401  (Starlette's TestClient needs httpx2, or httpx)
except ImportError:
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx2 (or httpx)")

from starlette.testclient import TestClient  # noqa: E402

from profond.playground import server  # noqa: E402
from profond.playground.session import (  # noqa: E402
    DEFAULTS,
    Session,
    SettingsError,
    read_model_bytes,
    validate_settings,
)

STARTUP = ("hello", "settings", "data", "update", "state")  # what a new tab receives


@pytest.fixture
def client():
    with TestClient(server.create_app()) as test_client:
        yield test_client


def receive_until(ws, kind, limit=200):
    """Messages up to and including the first of type ``kind`` (at most ``limit`` read)."""
    seen = []
    for _ in range(limit):
        message = json.loads(ws.receive_text())
        seen.append(message)
        if message["type"] == kind:
            return message, seen
    raise AssertionError(f"no {kind!r} message in {limit} messages: "
                         f"{[m['type'] for m in seen]}")


def open_tab(client):
    """A connected WebSocket past its start-up messages; returns (ws, {type: message})."""
    context = client.websocket_connect("/ws")
    ws = context.__enter__()
    first = {}
    for expected in STARTUP:
        message = json.loads(ws.receive_text())
        assert message["type"] == expected
        first[expected] = message
    return context, ws, first


def change(ws, **settings):
    """Send settings; return (settings echo, data, update) after a change of data or model."""
    ws.send_text(json.dumps({"type": "settings", "settings": settings}))
    echo, _ = receive_until(ws, "settings")
    data, _ = receive_until(ws, "data")
    update, _ = receive_until(ws, "update")
    return echo["settings"], data, update


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --------------------------------------------------------------------------------------------
# The page and its files
# --------------------------------------------------------------------------------------------
def test_page_and_static_files_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="test-accuracy"' in page.text and "/static/app.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text  # nothing from outside
    for name in ("app.js", "style.css"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert "http://" not in response.text and "https://" not in response.text
    script = client.get("/static/app.js").text
    for pattern in (r"\beval\s*\(", r"new\s+Function\s*\(", r"\.innerHTML\b", r"\.outerHTML\b",
                    r"insertAdjacentHTML", r"document\.write"):
        assert not re.search(pattern, script), pattern
    assert client.get("/static/../session.py").status_code == 404


def test_a_new_tab_gets_options_settings_data_and_a_snapshot(client):
    context, ws, first = open_tab(client)
    try:
        options = first["hello"]["options"]
        assert {"circles", "xor", "gaussians", "spiral", "moons"} <= set(options["datasets"])
        assert options["optimizers"] == ["sgd", "momentum", "adagrad", "rmsprop", "adadelta",
                                         "adam"]
        assert options["max_layers"] == 6 and options["max_units"] == 16
        assert list(options["features"]) == ["x1", "x2", "x1_squared", "x2_squared", "x1_x2",
                                             "sin_x1", "sin_x2"]
        assert options["features"]["x1_squared"] == "x₁²"
        assert first["settings"]["settings"] == DEFAULTS
        data = first["data"]
        assert len(data["train"]) + len(data["test"]) == DEFAULTS["n_samples"]
        update = first["update"]
        assert update["grid"]["kind"] == "class" and update["grid"]["size"] == 48
        assert len(base64.b64decode(update["grid"]["class"])) == 48 * 48
        assert len(update["neurons"]) == 1  # one hidden layer
        assert len(base64.b64decode(update["neurons"][0]["maps"])) == 8 * 24 * 24
        assert first["state"]["playing"] is False
    finally:
        context.__exit__(None, None, None)


# --------------------------------------------------------------------------------------------
# Validation: every bad message gets an error back, and the tab keeps working
# --------------------------------------------------------------------------------------------
BAD_MESSAGES = {
    "malformed JSON": "{bad json",
    "not an object": "[1, 2, 3]",
    "a bare string": '"play"',
    "no type": '{"settings": {}}',
    "unknown type": '{"type": "shutdown"}',
    "type not a string": '{"type": 3}',
    "extra field": '{"type": "play", "code": "import os"}',
    "unknown setting": '{"type": "settings", "settings": {"__class__": 1}}',
    "settings not an object": '{"type": "settings", "settings": "dataset=spiral"}',
    "unknown data set": '{"type": "settings", "settings": {"dataset": "../../etc/passwd"}}',
    "unknown activation": '{"type": "settings", "settings": {"activation": "__import__"}}',
    "learning rate too high": '{"type": "settings", "settings": {"learning_rate": 100}}',
    "learning rate zero": '{"type": "settings", "settings": {"learning_rate": 0}}',
    "negative noise": '{"type": "settings", "settings": {"noise": -0.1}}',
    "NaN": '{"type": "settings", "settings": {"noise": NaN}}',
    "infinity": '{"type": "settings", "settings": {"l2": Infinity}}',
    "huge integer": '{"type": "settings", "settings": {"batch_size": 1' + "0" * 400 + "}}",
    "boolean for a number": '{"type": "settings", "settings": {"batch_size": true}}',
    "string for a number": '{"type": "settings", "settings": {"batch_size": "32"}}',
    "fractional integer": '{"type": "settings", "settings": {"n_samples": 100.5}}',
    "too many layers": '{"type": "settings", "settings": {"layers": [2, 2, 2, 2, 2, 2, 2]}}',
    "too many neurons": '{"type": "settings", "settings": {"layers": [17]}}',
    "empty layer": '{"type": "settings", "settings": {"layers": [4, 0]}}',
    "layers not a list": '{"type": "settings", "settings": {"layers": {"0": 4}}}',
    "too many classes": '{"type": "settings", "settings": {"classes": 6}}',
    "point off the plane": '{"type": "add_point", "x": 5, "y": 0, "label": 0}',
    "class out of range": '{"type": "add_point", "x": 0, "y": 0, "label": 7}',
    "fractional class": '{"type": "add_point", "x": 0, "y": 0, "label": 0.5}',
    "missing field": '{"type": "add_point", "x": 0, "y": 0}',
    "view of a missing layer": '{"type": "view", "layer": 4, "x": 0, "y": 1}',
    "view of a missing neuron": '{"type": "view", "layer": 1, "x": 0, "y": 12}',
    "unknown export format": '{"type": "export", "format": "pickle"}',
    "oversized": json.dumps({"type": "settings", "settings": {"dataset": "x" * 5000}}),
    "deeply nested": "[" * 3000 + "]" * 3000,
}


def test_bad_messages_are_refused_with_an_error_and_the_tab_stays_usable(client):
    context, ws, _ = open_tab(client)
    try:
        for name, text in BAD_MESSAGES.items():
            ws.send_text(text)
            reply = json.loads(ws.receive_text())
            assert reply["type"] == "error", name
            assert isinstance(reply["message"], str) and reply["message"], name
        ws.send_bytes(b"\x00\x01 binary")
        assert json.loads(ws.receive_text())["type"] == "error"
        # Still the same session, unchanged, and it trains.
        ws.send_text(json.dumps({"type": "step"}))
        update, _ = receive_until(ws, "update")
        assert update["steps"] > 0 and update["test_accuracy"] is not None
        settings, _, _ = change(ws, dataset="spiral", classes=3)
        assert settings["dataset"] == "spiral" and settings["classes"] == 3
        assert len(client.app.state.manager) == 1
    finally:
        context.__exit__(None, None, None)


def test_parse_message_reports_what_is_wrong():
    assert server.parse_message('{"type": "view", "layer": 1, "x": 0, "y": 1.0}') == (
        "view", {"layer": 1, "x": 0, "y": 1})
    with pytest.raises(server.ProtocolError, match="too large"):
        server.parse_message(" " * (server.MAX_MESSAGE_CHARS + 1))
    with pytest.raises(server.ProtocolError, match="Unknown message type"):
        server.parse_message('{"type": "eval"}')
    with pytest.raises(server.ProtocolError, match="between"):
        server.parse_message('{"type": "remove_point", "x": 0, "y": -9}')


def test_validate_settings_keeps_a_consistent_set():
    settings = validate_settings({"dataset": "wave"})
    assert settings["loss"] == "mse"  # cross-entropy does not fit a regression set
    settings = validate_settings({"dataset": "circles", "classes": 5})
    assert settings["classes"] == 2  # circles has two classes
    assert validate_settings({"dataset": "spiral", "classes": 5})["classes"] == 5
    with pytest.raises(SettingsError):
        validate_settings({"layers": [1] * 7})
    with pytest.raises(SettingsError):
        validate_settings(["dataset", "spiral"])


# --------------------------------------------------------------------------------------------
# Sessions: isolated, concurrent, freed on disconnect
# --------------------------------------------------------------------------------------------
CLASSIFICATION = ("circles", "xor", "gaussians", "spiral", "moons")


def _fingerprint(data):
    return json.dumps(data["train"][:20] + data["test"][:20])


@pytest.mark.slow
def test_twenty_concurrent_sessions_train_independently(client):
    manager = client.app.state.manager
    tabs = []
    try:
        for _ in range(20):
            tabs.append(open_tab(client))
        assert len(manager) == 20
        wanted, fingerprints = [], set()
        for i, (_, ws, _) in enumerate(tabs):
            dataset = CLASSIFICATION[i % 5]
            classes = 2 + i % 4 if dataset in ("spiral", "gaussians") else 2
            settings = {"dataset": dataset, "classes": classes, "seed": 100 + i,
                        "layers": [2 + i % 5], "n_samples": 100 + 10 * i}
            echo, data, _ = change(ws, **settings)
            assert {k: echo[k] for k in settings} == settings
            assert len(data["train"]) + len(data["test"]) == settings["n_samples"]
            fingerprints.add(_fingerprint(data))
            wanted.append(settings)
        assert len(fingerprints) == 20  # twenty different data sets

        for _, ws, _ in tabs:  # all train at the same time
            ws.send_text(json.dumps({"type": "play"}))
        for (_, ws, _), settings in zip(tabs, wanted):
            updates = 0
            for _ in range(500):
                message = json.loads(ws.receive_text())
                assert message["type"] != "error", message
                if message["type"] == "update":
                    updates += 1
                    grid = base64.b64decode(message["grid"]["class"])
                    assert max(grid) < settings["classes"]  # this tab's classes, no other's
                    assert len(message["neurons"]) == 1
                    assert len(message["neurons"][0]["low"]) == settings["layers"][0]
                    if updates == 2:
                        break
            assert updates == 2
        for _, ws, _ in tabs:
            ws.send_text(json.dumps({"type": "pause"}))
            receive_until(ws, "state")

        # Each server-side session holds exactly what its own tab asked for.
        sessions = list(manager.sessions.values())
        assert len(sessions) == 20
        for session, settings in zip(sessions, wanted):
            assert {k: session.settings[k] for k in settings} == settings
            assert session.steps > 0 and session.playing is False
            assert len(session.x_train) + len(session.x_test) == settings["n_samples"]
        kernels = {session.model.layers[0].kernel.numpy().tobytes() for session in sessions}
        assert len(kernels) == 20

        # A point added in one tab appears in that tab only.
        counts = [len(s.x_train) for s in sessions]
        tabs[0][1].send_text(json.dumps({"type": "add_point", "x": 0.1, "y": 0.2, "label": 1}))
        data, _ = receive_until(tabs[0][1], "data")
        assert len(data["train"]) == counts[0] + 1
        assert [len(s.x_train) for s in sessions] == [counts[0] + 1] + counts[1:]
    finally:
        for context, _, _ in tabs:
            context.__exit__(None, None, None)
    assert wait_for(lambda: len(manager) == 0)


def test_a_closed_tab_frees_its_session_even_while_training(client):
    manager = client.app.state.manager
    tabs = [open_tab(client) for _ in range(3)]
    assert len(manager) == 3
    tabs[0][1].send_text(json.dumps({"type": "play"}))
    receive_until(tabs[0][1], "update")
    tabs[0][0].__exit__(None, None, None)
    assert wait_for(lambda: len(manager) == 2)
    for context, _, _ in tabs[1:]:
        context.__exit__(None, None, None)
    assert wait_for(lambda: len(manager) == 0)
    assert client.get("/health").json() == {"sessions": 0}


def test_the_server_refuses_tabs_beyond_its_limit():
    with TestClient(server.create_app(max_sessions=2)) as test_client:
        tabs = [open_tab(test_client) for _ in range(2)]
        with test_client.websocket_connect("/ws") as ws:
            message = json.loads(ws.receive_text())
            assert message["type"] == "error" and "Too many" in message["message"]
        for context, _, _ in tabs:
            context.__exit__(None, None, None)


# --------------------------------------------------------------------------------------------
# Editing points, the transformed-space view, regression
# --------------------------------------------------------------------------------------------
def test_points_can_be_added_and_removed(client):
    context, ws, first = open_tab(client)
    try:
        n_train = len(first["data"]["train"])
        ws.send_text(json.dumps({"type": "add_point", "x": 1.2, "y": -1.2, "label": 1}))
        data, _ = receive_until(ws, "data")
        assert len(data["train"]) == n_train + 1 and data["train"][-1] == [1.2, -1.2, 1.0]
        ws.send_text(json.dumps({"type": "remove_point", "x": 1.19, "y": -1.19}))
        data, _ = receive_until(ws, "data")
        assert len(data["train"]) == n_train
        assert [1.2, -1.2, 1.0] not in data["train"]
    finally:
        context.__exit__(None, None, None)


def test_the_transformed_space_view_follows_the_chosen_layer_and_neurons(client):
    context, ws, _ = open_tab(client)
    try:
        change(ws, layers=[6, 4])
        ws.send_text(json.dumps({"type": "view", "layer": 2, "x": 3, "y": 1}))
        update, _ = receive_until(ws, "update")
        view = update["transform"]
        assert (view["layer"], view["x"], view["y"]) == (2, 3, 1)
        assert len(view["grid"]) == 2 * view["lattice"] ** 2
        assert len(view["points"]) == 2 * DEFAULTS["n_samples"]
        ws.send_text(json.dumps({"type": "view", "layer": 0, "x": 0, "y": 1}))
        update, _ = receive_until(ws, "update")
        assert max(abs(v) for v in update["transform"]["grid"]) == pytest.approx(1.25)
        ws.send_text(json.dumps({"type": "view", "layer": 2, "x": 3, "y": 1}))
        receive_until(ws, "update")
        _, _, update = change(ws, layers=[3])  # the view moves back to a layer that exists
        assert (update["transform"]["layer"], update["transform"]["x"]) == (1, 0)
    finally:
        context.__exit__(None, None, None)


def test_a_regression_set_trains_with_mse_and_sends_values(client):
    context, ws, _ = open_tab(client)
    try:
        settings, data, update = change(ws, dataset="wave")
        assert settings["loss"] == "mse" and data["task"] == "regression"
        assert update["grid"]["kind"] == "value" and update["test_accuracy"] is None
        before = update["train_loss"]
        for _ in range(3):
            ws.send_text(json.dumps({"type": "step"}))
            update, _ = receive_until(ws, "update")
        assert update["train_loss"] < before
    finally:
        context.__exit__(None, None, None)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------
def test_export_gives_a_loadable_model_and_python_code_that_runs(client, tmp_path,
                                                                 monkeypatch):
    context, ws, _ = open_tab(client)
    try:
        change(ws, dataset="spiral", classes=3, layers=[8, 8], l2=0.001, optimizer="momentum",
               n_samples=120)
        ws.send_text(json.dumps({"type": "step"}))
        receive_until(ws, "update")
        session = next(iter(client.app.state.manager.sessions.values()))

        ws.send_text(json.dumps({"type": "export", "format": "profond"}))
        reply, _ = receive_until(ws, "export")
        assert reply["format"] == "profond" and reply["filename"].endswith(".profond")
        model = read_model_bytes(base64.b64decode(reply["data"]))
        points = numpy.random.default_rng(0).uniform(-1, 1, (16, 2)).astype("float32")
        numpy.testing.assert_allclose(model.predict(points, verbose=0),
                                      session.model.predict(points, verbose=0), atol=1e-6)
        assert [layer.units for layer in model.layers] == [8, 8, 3]

        ws.send_text(json.dumps({"type": "export", "format": "python"}))
        reply, _ = receive_until(ws, "export")
        code = reply["code"]
        compile(code, "playground.py", "exec")
        assert "optimizers.SGD(learning_rate=0.01, momentum=0.9)" in code
        assert "L1L2(l1=0.0, l2=0.001)" in code and "toy.spiral_arms(120, n_classes=3" in code
        monkeypatch.chdir(tmp_path)  # the snippet saves playground.profond where it runs
        namespace = {}
        exec(compile(code, "playground.py", "exec"), namespace)  # our own generated code
        built = namespace["model"]
        assert [layer.units for layer in built.layers] == [8, 8, 3]
        assert (tmp_path / "playground.profond").is_file()
    finally:
        context.__exit__(None, None, None)


def test_session_alone_is_reproducible_from_its_seed():
    a, b = Session(seed=3), Session(seed=3)
    for s in (a, b):
        s.apply({"dataset": "moons", "layers": [5]})
        s.train(steps=20)
    numpy.testing.assert_array_equal(a.model.layers[0].kernel.numpy(),
                                     b.model.layers[0].kernel.numpy())
    c = Session(seed=4)
    c.apply({"dataset": "moons", "layers": [5]})
    assert not numpy.array_equal(a.model.layers[0].kernel.numpy(),
                                 c.model.layers[0].kernel.numpy())


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------
def test_the_playground_command_calls_serve(monkeypatch):
    from profond import cli, playground

    calls = []
    monkeypatch.setattr(playground, "serve", lambda **kwargs: calls.append(kwargs))
    assert cli.main(["playground", "--no-browser", "--port", "8123"]) == 0
    assert calls == [{"host": "127.0.0.1", "port": 8123, "open_browser": False}]
    assert cli.main(["playground", "--port", "70000"]) == 2
    assert cli.main(["playground", "--no-browser", "--port", "0"]) == 0  # any free port
    assert calls[-1]["port"] == 0


# --------------------------------------------------------------------------------------------
# Robustness: a diverged network, the real server over a socket
# --------------------------------------------------------------------------------------------
def test_a_diverged_network_still_gives_a_valid_snapshot():
    session = Session(seed=0)
    for weight in session.model.weights:
        weight.assign(numpy.full(weight.shape, numpy.nan, dtype="float32"))
    snapshot = session.snapshot()
    json.dumps(snapshot, allow_nan=False)  # no NaN reaches the page
    assert snapshot["train_loss"] is None


def test_the_real_server_over_a_socket(live_server):
    sync_client = pytest.importorskip("websockets.sync.client")
    url, app = live_server
    with sync_client.connect(url.replace("http", "ws") + "ws", open_timeout=10) as ws:
        types = [json.loads(ws.recv(timeout=10))["type"] for _ in STARTUP]
        assert types == list(STARTUP)
        assert len(app.state.manager) == 1
        ws.send("x" * (server.MAX_MESSAGE_CHARS + 10))  # too large for the page's protocol
        assert json.loads(ws.recv(timeout=10))["type"] == "error"
        ws.send(json.dumps({"type": "step"}))
        for _ in range(10):
            message = json.loads(ws.recv(timeout=10))
            if message["type"] == "update":
                break
        assert message["type"] == "update" and message["steps"] > 0
    assert wait_for(lambda: len(app.state.manager) == 0)
    with sync_client.connect(url.replace("http", "ws") + "ws", open_timeout=10) as ws:
        ws.recv(timeout=10)
        ws.send("y" * 100_000)  # beyond the server's frame limit: the connection is closed
        with pytest.raises(Exception, match="1009|too big|message too big"):
            for _ in range(20):
                ws.recv(timeout=10)
    assert wait_for(lambda: len(app.state.manager) == 0)


def test_a_page_from_another_site_cannot_open_a_session(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}):
            pass
    assert len(client.app.state.manager) == 0
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        assert json.loads(ws.receive_text())["type"] == "hello"
