"""profond serve: TensorFlow Serving's REST API, its errors, and a load test on loopback."""

import concurrent.futures
import json
import threading
import time

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
requests = pytest.importorskip("requests")
try:
    import httpx2  # noqa: F401  (Starlette's TestClient needs httpx2, or httpx)
except ImportError:
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx2 (or httpx)")
from starlette.testclient import TestClient  # noqa: E402

import profond as tf  # noqa: E402
from profond.serve import create_app  # noqa: E402
from profond.serve.app import bind  # noqa: E402

L = tf.keras.layers


@pytest.fixture(scope="module")
def mlp():
    tf.keras.utils.set_random_seed(0)
    return tf.keras.Sequential([tf.keras.Input((6,), name="pixels"),
                                L.Dense(8, activation="relu"), L.Dense(3, activation="softmax")],
                               name="mlp")


@pytest.fixture(scope="module")
def client(mlp):
    with TestClient(create_app(mlp, name="mlp", max_body_bytes=20_000)) as c:
        yield c


def test_status_and_metadata(client):
    status = client.get("/v1/models/mlp").json()
    assert status["model_version_status"][0]["state"] == "AVAILABLE"
    meta = client.get("/v1/models/mlp/metadata").json()
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["inputs"]["pixels"]["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in sig["inputs"]["pixels"]["tensor_shape"]["dim"]] == ["-1", "6"]
    assert client.get("/v1/models/other").status_code == 404


def test_row_and_columnar_formats_give_the_models_predictions(client, mlp):
    x = np.random.default_rng(1).random((5, 6)).astype("float32")
    expected = mlp.predict(x, verbose=0)
    rows = client.post("/v1/models/mlp:predict", json={"signature_name": "serving_default",
                                                       "instances": x.tolist()})
    assert rows.status_code == 200
    np.testing.assert_allclose(rows.json()["predictions"], expected, rtol=1e-5, atol=1e-7)
    columns = client.post("/v1/models/mlp/versions/1:predict", json={"inputs": x.tolist()})
    np.testing.assert_allclose(columns.json()["outputs"], expected, rtol=1e-5, atol=1e-7)
    named = client.post("/v1/models/mlp:predict",
                        json={"instances": [{"pixels": r} for r in x.tolist()]})
    np.testing.assert_allclose(named.json()["predictions"], expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("body,status,message", [
    ({"instances": [[1, 2, 3]]}, 400, r"Expected a shape \(batch, 6\). Received: shape \(1, 3\)"),
    ({"instances": [["a"] * 6]}, 400, r"Expected numbers"),
    ({"instances": [[1] * 6, [1] * 5]}, 400, r"Expected numbers .* rows of different lengths"),
    ({"instances": []}, 400, r"non-empty list"),
    ({"instances": [[0] * 6], "inputs": [[0] * 6]}, 400, r"either 'instances'"),
    ({"inputs": {"image": [[0] * 6]}}, 400, r"Expected 'inputs' to have the keys \['pixels'\]"),
    ({"signature_name": "train", "instances": [[0] * 6]}, 400, r"serving_default"),
    ({"instances": [[0.5] * 6] * 2000}, 413, r"at most 20000 bytes"),
])
def test_bad_requests_get_clear_errors_and_the_server_goes_on(client, body, status, message):
    import re

    answer = client.post("/v1/models/mlp:predict", json=body)
    assert answer.status_code == status
    assert re.search(message, answer.json()["error"]), answer.json()
    ok = client.post("/v1/models/mlp:predict", json={"instances": [[0.0] * 6]})
    assert ok.status_code == 200


def test_invalid_json_and_unknown_verb(client):
    answer = client.post("/v1/models/mlp:predict", content=b"{not json",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 400 and "Expected a JSON body" in answer.json()["error"]
    assert client.post("/v1/models/mlp:classify", json={"instances": [[0] * 6]}).status_code \
        == 404


def test_multi_input_model_by_name():
    a, b = tf.keras.Input((2,), name="a"), tf.keras.Input((3,), name="b")
    model = tf.keras.Model([a, b], L.Dense(1)(L.Concatenate()([a, b])))
    x = {"a": np.ones((2, 2), "float32"), "b": np.zeros((2, 3), "float32")}
    expected = model.predict([x["a"], x["b"]], verbose=0)
    with TestClient(create_app(model, name="two")) as c:
        rows = c.post("/v1/models/two:predict", json={"instances": [
            {"a": [1, 1], "b": [0, 0, 0]}, {"a": [1, 1], "b": [0, 0, 0]}]})
        np.testing.assert_allclose(rows.json()["predictions"], expected, rtol=1e-6)
        cols = c.post("/v1/models/two:predict", json={"inputs": {k: v.tolist()
                                                                 for k, v in x.items()}})
        np.testing.assert_allclose(cols.json()["outputs"], expected, rtol=1e-6)
        bad = c.post("/v1/models/two:predict", json={"instances": [[1, 1]]})
        assert bad.status_code == 400 and "keyed by input name" in bad.json()["error"]


def test_busy_port_is_a_clear_error():
    first = bind("127.0.0.1", 0)
    try:
        with pytest.raises(OSError, match=r"already in use .*--port"):
            bind("127.0.0.1", first.getsockname()[1])
    finally:
        first.close()


@pytest.mark.slow
def test_load_50_concurrent_clients_on_loopback(mlp, capsys):
    """50 clients at once, 10 requests each: no error, no lost request, every answer equal to
    ``predict``; requests that arrive together share forward passes."""
    import uvicorn

    app = create_app(mlp, name="mlp")
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", limit_concurrency=1024))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/v1/models/mlp:predict"
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    rng = np.random.default_rng(2)
    batches = [rng.random((int(rng.integers(1, 5)), 6)).astype("float32") for _ in range(500)]

    def client(k):
        session, latencies, results = requests.Session(), [], []
        for x in batches[k * 10:(k + 1) * 10]:
            start = time.perf_counter()
            # As in TF Serving's documentation: plain JSON with requests.
            answer = session.post(url, data=json.dumps({"signature_name": "serving_default",
                                                        "instances": x.tolist()}), timeout=30)
            latencies.append(time.perf_counter() - start)
            results.append((answer.status_code, json.loads(answer.text).get("predictions")))
        return latencies, results

    try:
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            done = list(pool.map(client, range(50)))
        elapsed = time.perf_counter() - start
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    latencies = np.array([t for lat, _ in done for t in lat])
    results = [r for _, res in done for r in res]
    assert len(results) == 500 and all(status == 200 for status, _ in results)
    for x, (_, predictions) in zip(batches, results):
        np.testing.assert_allclose(predictions, mlp.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert app.state.batcher.rows == sum(len(x) for x in batches)
    assert app.state.batcher.batches < 500  # some requests shared a forward pass
    with capsys.disabled():
        print(f"\nserve load test: 500 requests from 50 clients in {elapsed:.2f} s "
              f"({500 / elapsed:.0f} requests/s), latency p50 "
              f"{np.percentile(latencies, 50) * 1e3:.1f} ms, p99 "
              f"{np.percentile(latencies, 99) * 1e3:.1f} ms, "
              f"{app.state.batcher.batches} forward passes")
    assert elapsed < 120
