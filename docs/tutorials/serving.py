"""Chapter — saving a model and serving it over HTTP with TensorFlow Serving's REST API."""

import atexit
import json
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np

import profond as tf
from profond.datasets import digits

# %% train_save
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16
tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
    tf.keras.Input((64,)),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
], name="digits")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
model.save("digits.profond")
print(f"saved digits.profond, test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")

# %% start
# In a terminal this is:  profond serve digits.profond --port 8501
with socket.socket() as probe:  # a free port, so that the chapter never collides with a server
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
server = subprocess.Popen([sys.executable, "-m", "profond.cli", "serve", "digits.profond",
                           "--port", str(port)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
url = f"http://127.0.0.1:{port}/v1/models/digits"
atexit.register(server.kill)  # never left running, even if a later cell fails
for _ in range(300):  # wait (up to 30 s) until the server answers
    try:
        status = json.load(urllib.request.urlopen(url))
        break
    except OSError:
        time.sleep(0.1)
else:
    raise RuntimeError(f"profond serve did not answer on port {port}")
print(json.dumps(status))

# %% predict
body = json.dumps({"instances": x_test[:3].tolist()}).encode()
request = urllib.request.Request(url + ":predict", data=body,
                                 headers={"Content-Type": "application/json"})
answer = json.load(urllib.request.urlopen(request))
probabilities = np.array(answer["predictions"])
print("predicted digits:", probabilities.argmax(axis=1), "  true:", y_test[:3])
print("same as model.predict:",
      np.allclose(probabilities, model.predict(x_test[:3], verbose=0), atol=1e-6))

# %% stop
server.terminate()
server.wait(timeout=30)
print("server stopped")
