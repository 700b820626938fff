"""GradientTape beyond one gradient: two tapes over one forward pass (the DCGAN pattern),
persistent tapes, jacobian / batch_jacobian, stop_recording, reset, watch_accessed_variables,
watched_variables, repeated sources, ops recorded before the tape (which gradients are None)."""

import numpy as np
from _common import emit, tf

rng = np.random.default_rng(0)
x = tf.Variable(rng.normal(size=(3,)).astype("float32"), name="x")
u = tf.Variable(1.5, name="u")
a = tf.Variable(rng.normal(size=(4, 3)).astype("float32"), name="a")
w = tf.Variable(rng.normal(size=(3, 2)).astype("float32"), name="w")
results = {}

with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
    s = x * u
    gen_loss = tf.reduce_sum(tf.tanh(s) * 2.0)
    disc_loss = tf.reduce_sum(s * s)
results["two_tapes"] = [gen_tape.gradient(gen_loss, [x, u]), disc_tape.gradient(disc_loss, u)]

with tf.GradientTape(persistent=True) as tape:
    y = tf.reduce_sum(x * x * u)
results["persistent"] = [tape.gradient(y, x), tape.gradient(y, u), tape.gradient(y, [x, x])]

with tf.GradientTape() as tape:
    y = tf.sin(x) * u
jx, ju, jw = tape.jacobian(y, [x, u, w])
results["jacobian"] = [jx, ju, jw is None]

with tf.GradientTape() as tape:
    z = tf.tanh(tf.matmul(a, w))
results["batch_jacobian"] = tape.batch_jacobian(z, a)

with tf.GradientTape() as tape:
    y1 = x * x
    with tape.stop_recording():
        y2 = y1 * 3.0
    y3 = tf.reduce_sum(y1 + y2)
results["stop_recording"] = tape.gradient(y3, x)

with tf.GradientTape() as tape:
    y1 = x * x
    tape.reset()
    y2 = tf.reduce_sum(y1 * u)
gx, gu = tape.gradient(y2, [x, u])
results["reset"] = [gx is None, gu]

pre = x * 2.0
with tf.GradientTape() as tape:
    y = tf.reduce_sum(pre * u)
gx, gu = tape.gradient(y, [x, u])
results["before_tape"] = [gx is None, gu]

with tf.GradientTape(watch_accessed_variables=False) as tape:
    tape.watch(u)
    y = tf.reduce_sum(x * u)
gx, gu = tape.gradient(y, [x, u])
results["watch_accessed_false"] = [gx is None, gu, [v.name.split(":")[0]
                                                    for v in tape.watched_variables()]]
with tf.GradientTape() as tape:
    y = tf.reduce_sum(x * u)
results["watched_variables"] = [v.name.split(":")[0] for v in tape.watched_variables()]
results["unconnected_zero"] = tape.gradient(y, [x, w], unconnected_gradients="zero")[1]
emit(results)
