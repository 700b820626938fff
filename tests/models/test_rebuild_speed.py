"""Rebuilding a model from its config costs time linear in its size (issue 13, item 3).

A functional config may list its layers in any order (a file can list them output-first): the
calls are replayed from a ready queue, never one call per pass over the list (which took 46 s for
12,000 layers). ``Sequential.add`` checks a name against a set, not against every layer.
"""

import random
import time

import numpy as np
import pytest

import profond as pf
from profond.layers.activation import ReLU
from profond.models.model import Model
from profond.models.sequential import Sequential


def _chain_config(n):
    """The config of Input → n ReLU layers, each call referencing the layer before it."""
    layers = [{"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
               "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "x"}}]
    previous = "x"
    for i in range(n):
        name = f"r{i}"
        layers.append({"class_name": "ReLU", "name": name,
                       "config": {"name": name, "dtype": "float32"},
                       "inbound_nodes": [{"args": [{"__keras_tensor__": [previous, 0, 0]}],
                                          "kwargs": {"__dict__": {}}}]})
        previous = name
    return {"name": "chain", "trainable": True, "layers": layers,
            "input_layers": {"__keras_tensor__": ["x", 0, 0]},
            "output_layers": {"__keras_tensor__": [previous, 0, 0]}}


def test_twelve_thousand_layers_listed_output_first_rebuild_in_linear_time():
    n = 12_000
    config = _chain_config(n)
    config["layers"].reverse()  # the output's layer first: every call waits for the next one
    start = time.process_time()
    model = Model.from_config(config)
    elapsed = time.process_time() - start
    # NOTE: CPU time (a loaded machine stretches wall time), with a generous bound: about 1.5 s
    # here, 46 s before the ready queue.
    assert elapsed < 10, f"rebuilding {n} layers took {elapsed:.1f} s"
    assert [layer.name for layer in model.layers] == ["x"] + [f"r{i}" for i in range(n)]
    x = np.array([[-1.0, 2.0, -3.0, 4.0]], dtype="float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.maximum(x, 0))
    start = time.process_time()
    again = model.get_config()
    elapsed = time.process_time() - start
    assert elapsed < 4, f"get_config of {n} layers took {elapsed:.1f} s"  # 9.5 s when quadratic
    assert [spec["name"] for spec in again["layers"]] == ["x"] + [f"r{i}" for i in range(n)]


def _branchy_model():
    """Two inputs, a shared layer called twice, a merge and two outputs."""
    a = pf.keras.Input((3,), name="a")
    b = pf.keras.Input((3,), name="b")
    shared = pf.keras.layers.Dense(4, name="shared")
    ha, hb = shared(a), shared(b)
    s = pf.keras.layers.Add(name="add")([ha, hb])
    c = pf.keras.layers.Concatenate(name="cat")([s, ha])
    out1 = pf.keras.layers.Dense(2, name="out1")(c)
    out2 = pf.keras.layers.Dense(1, name="out2")(pf.keras.layers.ReLU(name="relu")(hb))
    return Model([a, b], [out1, out2])


def test_any_order_of_the_layers_rebuilds_the_same_model():
    model = _branchy_model()
    config = model.get_config()
    x = [np.arange(6, dtype="float32").reshape(2, 3), np.ones((2, 3), dtype="float32")]
    expected = model.predict(x, verbose=0)
    for seed in range(4):
        shuffled = dict(config, layers=list(config["layers"]))
        random.Random(seed).shuffle(shuffled["layers"])
        rebuilt = Model.from_config(shuffled)
        assert [la.name for la in rebuilt.layers] == [la.name for la in model.layers]
        rebuilt.set_weights(model.get_weights())
        for got, want in zip(rebuilt.predict(x, verbose=0), expected):
            np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("damage", ["cycle", "missing"])
def test_a_config_whose_inputs_are_never_produced_is_refused(damage):
    config = _chain_config(5)
    if damage == "cycle":  # r0 reads r4's output, which needs r0
        config["layers"][1]["inbound_nodes"][0]["args"][0]["__keras_tensor__"] = ["r4", 0, 0]
    else:
        config["layers"][3]["inbound_nodes"][0]["args"][0]["__keras_tensor__"] = ["nope", 0, 0]
    with pytest.raises(ValueError, match="never produced"):
        Model.from_config(config)


class _CountedReLU(ReLU):
    """A ReLU that counts how often its ``name`` is read."""

    reads = 0

    @property
    def name(self):
        type(self).reads += 1
        return self.__dict__["_counted_name"]

    @name.setter
    def name(self, value):
        self.__dict__["_counted_name"] = value


def test_sequential_add_checks_names_with_a_set():
    n = 3_000
    layers = [_CountedReLU(name=f"r{i}") for i in range(n)]
    _CountedReLU.reads = 0
    model = Sequential([pf.keras.Input((2,))] + layers)
    # A walk over the stack at each add reads n²/2 = 4.5 million names; a set about 2 per add.
    assert _CountedReLU.reads < 20 * n, _CountedReLU.reads
    with pytest.raises(ValueError, match='"r7" is already the name'):
        model.add(ReLU(name="r7"))
    model.pop()
    model.add(ReLU(name=f"r{n - 1}"))  # the popped name is free again
    assert len(model.layers) == n
