"""What the page's drawing of the network needs from the server: the weights in each update, the
"one step" message, the "slow" speed, a transformed-space view that keeps saturated units apart,
and the page's new scripts (languages, network) served as safely as app.js.

Runs the Starlette app in-process with its TestClient (no network, no browser).
"""

import json
import re

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
    DATASETS,
    LOSSES,
    SCHEMA,
    Session,
    SettingsError,
)

STARTUP = ("hello", "settings", "data", "update", "state")


@pytest.fixture
def client():
    with TestClient(server.create_app()) as test_client:
        yield test_client


def receive_until(ws, kind, limit=400):
    seen = []
    for _ in range(limit):
        message = json.loads(ws.receive_text())
        seen.append(message)
        if message["type"] == kind:
            return message, seen
    raise AssertionError(f"no {kind!r} message in {limit}: {[m['type'] for m in seen]}")


def start(ws):
    return {kind: receive_until(ws, kind)[0] for kind in STARTUP}


def test_each_update_carries_every_layers_weights_as_the_model_holds_them():
    session = Session(settings={"dataset": "spiral", "classes": 3, "layers": [5, 4]}, seed=3)
    session.train(steps=20)
    weights = session.snapshot()["weights"]
    assert [numpy.array(w["kernel"]).shape for w in weights] == [(2, 5), (5, 4), (4, 3)]
    assert [len(w["bias"]) for w in weights] == [5, 4, 3]
    for w, layer in zip(weights, session.model.layers):
        numpy.testing.assert_allclose(w["kernel"], layer.kernel.numpy(), atol=5e-5)
        numpy.testing.assert_allclose(w["bias"], layer.bias.numpy(), atol=5e-5)
    assert any(b != 0 for w in weights for b in w["bias"])  # trained: the biases moved
    json.dumps(weights, allow_nan=False)


def test_without_hidden_layers_the_inputs_connect_to_the_outputs():
    session = Session(settings={"layers": []}, seed=0)
    weights = session.snapshot()["weights"]
    assert len(weights) == 1 and numpy.array(weights[0]["kernel"]).shape == (2, 2)


def test_speed_is_a_setting_that_keeps_the_network():
    session = Session(seed=1)
    assert session.settings["speed"] == "fast"
    session.train(steps=7)
    model = session.model
    assert session.apply({"speed": "slow"}) == {"speed"}
    assert session.model is model and session.steps == 7  # nothing was reset
    with pytest.raises(SettingsError, match="speed"):
        session.apply({"speed": "warp"})


def test_one_step_trains_exactly_one_mini_batch_and_step_one_epoch(client):
    with client.websocket_connect("/ws") as ws:
        first = start(ws)
        assert first["update"]["steps"] == 0
        ws.send_text(json.dumps({"type": "one_step"}))
        update, _ = receive_until(ws, "update")
        assert update["steps"] == 1
        state, _ = receive_until(ws, "state")
        assert state["playing"] is False
        ws.send_text(json.dumps({"type": "one_step"}))
        assert receive_until(ws, "update")[0]["steps"] == 2
        assert 0 < update["epoch"] < 1
        ws.send_text(json.dumps({"type": "step"}))  # the rest of the epoch: 150 points / 10
        after_epoch = receive_until(ws, "update")[0]
        assert (after_epoch["steps"], after_epoch["epoch"]) == (15, 1)
        receive_until(ws, "state")
        assert update["weights"] != first["update"]["weights"]  # one step moves the weights


def test_slow_speed_sends_an_update_after_each_single_step(client):
    with client.websocket_connect("/ws") as ws:
        start(ws)
        ws.send_text(json.dumps({"type": "settings", "settings": {"speed": "slow"}}))
        echo, _ = receive_until(ws, "settings")
        assert echo["settings"]["speed"] == "slow"
        ws.send_text(json.dumps({"type": "play"}))
        steps = [receive_until(ws, "update")[0]["steps"] for _ in range(3)]
        ws.send_text(json.dumps({"type": "pause"}))
        receive_until(ws, "state")
        assert steps == [steps[0], steps[0] + 1, steps[0] + 2], steps
        assert steps[0] <= 2
    with pytest.raises(server.ProtocolError, match="one_step"):  # no fields allowed
        server.parse_message('{"type": "one_step", "steps": 100}')


def test_pausing_shows_the_network_it_paused_on(client):
    """The steps trained after the last update of a run are not lost to the page: pausing
    sends an update of the network as it stands, so the drawn weights are the model's."""
    with client.websocket_connect("/ws") as ws:
        start(ws)
        ws.send_text(json.dumps({"type": "play"}))
        receive_until(ws, "update")
        ws.send_text(json.dumps({"type": "pause"}))
        state, seen = receive_until(ws, "state")
        assert state["playing"] is False
        last = [m for m in seen if m["type"] == "update"][-1]
        session = next(iter(client.app.state.manager.sessions.values()))
        assert last["steps"] == session.steps
        numpy.testing.assert_allclose(last["weights"][0]["kernel"],
                                      session.model.layers[0].kernel.numpy(), atol=5e-5)


def test_the_transformed_view_keeps_saturated_units_apart():
    """Sigmoid units driven far into saturation give values within 1e-4 of 1 for every point:
    rounded to 3 decimals they were one dot. The view keeps them distinct."""
    session = Session(settings={"activation": "sigmoid", "layers": [2]}, seed=0)
    hidden = session.model.layers[0]
    hidden.kernel.assign(numpy.array([[0.4, 0.0], [0.0, 0.4]], dtype="float32"))
    hidden.bias.assign(numpy.array([9.0, 9.0], dtype="float32"))
    view = session.snapshot()["transform"]
    xs = numpy.array(view["points"][0::2])
    ys = numpy.array(view["points"][1::2])
    assert xs.min() > 0.999 and ys.min() > 0.999  # saturated
    assert len(numpy.unique(numpy.round(xs, 3))) <= 2  # what 3 decimals would have kept
    assert len(numpy.unique(xs)) > 50 and len(numpy.unique(ys)) > 50
    # the values kept are the network's, to the precision kept
    expected = session._forward(numpy.concatenate([session.x_train, session.x_test]))[0]
    numpy.testing.assert_allclose(xs, expected[:, 0], atol=1e-6)
    # an unsaturated view keeps 3 decimals (short messages)
    session.set_view(0, 0, 1)
    assert all(round(v, 3) == v for v in session.snapshot()["transform"]["points"])


@pytest.mark.parametrize("name", ["i18n.js", "network.js", "app.js"])
def test_the_page_scripts_are_served_and_safe(client, name):
    page = client.get("/")
    assert f"/static/{name}" in page.text
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    script = response.text
    for pattern in (r"\beval\s*\(", r"new\s+Function\s*\(", r"\.innerHTML\b", r"\.outerHTML\b",
                    r"insertAdjacentHTML", r"document\.write", r"\bfetch\s*\("):
        assert not re.search(pattern, script), pattern
    # no address outside the server (the SVG namespace is a name, never fetched)
    addresses = set(re.findall(r"https?://[^\s\"'`]+", script))
    assert addresses <= {"http://www.w3.org/2000/svg"}, addresses


def test_every_text_and_help_exists_in_both_languages(client):
    """The dictionaries of i18n.js have the same keys in French and English, every data-i18n
    key of the page is in them, and every control that HELP explains exists on the page."""
    script = client.get("/static/i18n.js").text
    page = client.get("/").text
    blocks = dict(re.findall(r"\n  (fr|en): \{\n(.*?)\n  \},", script, flags=re.S))
    keys = {lang: set(re.findall(r'^    "([\w.]+)":', block, flags=re.M))
            for lang, block in blocks.items()}
    assert keys["fr"] == keys["en"] and len(keys["fr"]) > 60
    used = set(re.findall(r'data-i18n(?:-title|-aria)?="([\w.]+)"', page))
    assert used and used <= keys["fr"], used - keys["fr"]
    scripts = client.get("/static/app.js").text + client.get("/static/network.js").text
    written = {key for key in re.findall(r'\bt\("([\w.]+)"', scripts) if not key.endswith(".")}
    written |= {f"dataset.{name}" for name in DATASETS}  # t("dataset." + name) and the like
    written |= {f"loss.{name}" for names in LOSSES.values() for name in names}
    written |= {f"speed.{name}" for name in SCHEMA["speed"][1]}
    assert written <= keys["fr"], written - keys["fr"]
    help_block = script[script.index("const HELP = {"):script.index("\n};", script.index(
        "const HELP = {"))]
    helped = re.findall(r'^  "?([\w-]+)"?: \["', help_block, flags=re.M)
    assert len(helped) >= 25
    for control in helped:
        assert f'id="{control}"' in page, control
