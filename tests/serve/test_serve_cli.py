"""``profond serve m.profond``: a real server process, answered by a plain HTTP client."""

import json
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

requests = pytest.importorskip("requests")
pytest.importorskip("uvicorn")

import profond as tf  # noqa: E402
from profond.serve.app import bind  # noqa: E402

PROFOND = [sys.executable, "-m", "profond.cli"] if not (
    pathlib.Path(sys.executable).parent / "profond").exists() else \
    [str(pathlib.Path(sys.executable).parent / "profond")]


@pytest.mark.slow
def test_serve_command_answers_predict_and_refuses_a_busy_port(tmp_path):
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
    path = tmp_path / "tiny.profond"
    model.save(path)
    probe = bind("127.0.0.1", 0)
    port = probe.getsockname()[1]
    probe.close()
    server = subprocess.Popen([*PROFOND, "serve", str(path), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/v1/models/tiny"
        deadline = time.time() + 60
        while True:
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.time() < deadline and server.poll() is None, server.stderr.read()
            time.sleep(0.2)
        x = np.arange(8, dtype="float32").reshape(2, 4)
        answer = requests.post(url + ":predict", data=json.dumps({"instances": x.tolist()}))
        np.testing.assert_allclose(answer.json()["predictions"], model.predict(x, verbose=0),
                                   rtol=1e-5)
        busy = subprocess.run([*PROFOND, "serve", str(path), "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
        assert busy.returncode == 1
        assert f"the port {port} on 127.0.0.1 is already in use" in busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
