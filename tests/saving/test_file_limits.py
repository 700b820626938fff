"""Bounded reading (issue 13, items 1, 2 and 5's temporary files): files and configs never decide
how much memory loading takes, errors come early and name what is wrong, writes respect the umask
and leave one temporary name per target."""

import json
import os
import resource
import stat
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import profond as pf
from profond.saving import FileFormatError, limits, model_file


def make_model(units=8):
    pf.layers.clear_session()
    pf.random.set_seed(0)
    model = pf.models.Sequential([pf.layers.Input(shape=(4,)),
                                  pf.layers.Dense(units, activation="relu"),
                                  pf.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    return model


X = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)


@pytest.fixture
def saved(tmp_path):
    model = make_model()
    path = tmp_path / "model.profond"
    model.save(path)
    return model, path


@pytest.fixture
def default_limits():
    yield
    pf.saving.set_limits()  # back to the defaults


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(path, changes):
    content = {**members(path), **changes}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in content.items():
            zf.writestr(name, data)


def with_config(path, edit):
    spec = json.loads(members(path)["config.json"])
    edit(spec)
    rewrite(path, {"config.json": json.dumps(spec)})


def header_only(entries):
    """Safetensors bytes whose header announces ``entries`` ``{key: (dtype, shape)}``."""
    header, offset = {}, 0
    for key, (dtype, shape) in entries.items():
        size = int(np.prod(shape)) * np.dtype(limits.DTYPES[dtype]).itemsize
        header[key] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset,
                                                                              offset + size]}
        offset += size
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + bytes(offset)


# --- the limits ----------------------------------------------------------------------------------
def test_set_limits_returns_the_previous_values_and_checks_its_arguments(default_limits):
    defaults = pf.saving.get_limits()
    previous = pf.saving.set_limits(max_bytes=1234, max_tensors=7)
    assert previous == defaults
    assert pf.saving.get_limits()["max_bytes"] == 1234
    pf.saving.set_limits(**previous)
    assert pf.saving.get_limits() == defaults
    with pytest.raises(TypeError, match=r"unknown limit\(s\) \['max_bites'\]"):
        pf.saving.set_limits(max_bites=1)
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(ValueError, match=f"Received: max_bytes={bad!r}"):
            pf.saving.set_limits(max_bytes=bad)


def test_max_bytes_refuses_big_files_and_can_be_raised(saved, default_limits):
    model, path = saved
    pf.saving.set_limits(max_bytes=64)
    with pytest.raises(FileFormatError, match="more than the 64 allowed"):
        pf.saving.load_model(path)
    raw = path.parent / "w.weights.safetensors"
    model.save_weights(raw)
    with pytest.raises(FileFormatError, match="more than the 64 allowed"):
        model.load_weights(raw)
    pf.saving.set_limits()
    np.testing.assert_array_equal(pf.saving.load_model(path).predict(X, verbose=0),
                                  model.predict(X, verbose=0))


# --- files that are not files --------------------------------------------------------------------
@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_devices_and_fifos_are_refused_without_reading(tmp_path, target):
    model = make_model()
    if target == "fifo":
        target = str(tmp_path / "fifo")
        os.mkfifo(target)  # opening it for reading would block forever
    for name, load in [("m.profond", pf.saving.load_model),
                       ("w.weights.safetensors", model.load_weights),
                       ("w.weights.h5", model.load_weights),
                       ("x.npy", limits.read_npy)]:
        link = tmp_path / name
        link.symlink_to(target)
        start = time.process_time()
        with pytest.raises(FileFormatError, match="not a regular file"):
            load(link)
        assert time.process_time() - start < 1


def test_raw_safetensors_load_under_an_address_space_limit(tmp_path):
    """``f.read(limit + 1)`` reserved 16 GiB: any ``ulimit -v`` failed every valid load."""
    model = make_model()
    path = tmp_path / "w.weights.safetensors"
    model.save_weights(path)
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))\n"
        "import numpy as np, profond as pf\n"
        "m = pf.models.Sequential([pf.layers.Input(shape=(4,)), pf.layers.Dense(8), "
        "pf.layers.Dense(3)])\n"
        f"m.load_weights({str(path)!r})\n"
        "print('loaded', float(np.abs(m.weights[0].numpy()).sum()))\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[1]) == pytest.approx(
        float(np.abs(model.weights[0].numpy()).sum()), rel=1e-6)


# --- headers first -------------------------------------------------------------------------------
def test_the_header_is_checked_against_the_model_before_the_data_is_read(tmp_path, monkeypatch):
    model = make_model()
    path = tmp_path / "w.weights.safetensors"
    path.write_bytes(header_only({"0000:k": ("F32", (4, 9)), "0001:b": ("F32", (2**20,))}))
    reads = []
    original = limits.read_exact
    monkeypatch.setattr(limits, "read_exact",
                        lambda f, size, name: reads.append(size) or original(f, size, name))
    before = [w.numpy() for w in model.weights]
    with pytest.raises(FileFormatError, match=r"expected shape \(4, 8\).*shape \(4, 9\)"):
        model.load_weights(path)
    assert sum(reads) < 1000  # the header only, not the 4 MB of data
    for a, w in zip(before, model.weights):
        np.testing.assert_array_equal(a, w.numpy())


def test_400k_tiny_tensors_are_refused_by_count_fast(tmp_path, default_limits):
    count = 400_000
    parts = [f'"{i:07d}:w":{{"dtype":"U8","shape":[1],"data_offsets":[{i},{i + 1}]}}'
             for i in range(count)]
    text = ("{" + ",".join(parts) + "}").encode()
    path = tmp_path / "many.weights.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(count))
    model = make_model()
    with pytest.raises(FileFormatError, match="header of 27777786 bytes.*at most 16777216"):
        model.load_weights(path)  # first, by the header's length
    pf.saving.set_limits(max_header_bytes=64 * 2**20)
    tracemalloc.start()
    start = time.process_time()
    with pytest.raises(FileFormatError, match="more than 65536 tensors"):
        model.load_weights(path)  # then by the count, before parsing the header
    elapsed = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 100 * 2**20
    pf.saving.set_limits(max_tensors=count, max_json_containers=3 * count + 1)
    with pytest.raises(FileFormatError, match="holds 400000 weights and the model has 4"):
        model.load_weights(path)


@pytest.mark.parametrize("header, message", [
    ({"0000:k": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 0]}},
     r"announces shape \(1099511627776, 1099511627776\)"),
    ({"0000:k": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}, "unsupported dtype"),
    ({"0000:k": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, "invalid shape"),
    ({"0000:k": {"dtype": "F32", "shape": [1], "data_offsets": [0, 2**62]}}, "announces shape"),
    ({"0000:a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "0001:b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, "overlapping"),
    ({"0000:k": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, "cover 4 bytes"),
])
def test_lying_headers_are_refused_before_any_allocation(tmp_path, header, message):
    text = json.dumps(header).encode()
    path = tmp_path / "w.weights.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(64))
    with pytest.raises(FileFormatError, match=message):
        make_model().load_weights(path)


def test_duplicate_keys_and_nan_are_refused(saved):
    _, path = saved
    text = members(path)["config.json"].decode()
    assert '"units": 8' in text
    rewrite(path, {"config.json": text.replace('"units": 8', '"units": 8, "units": 1000000000')})
    with pytest.raises(FileFormatError, match="'units' appears twice"):
        pf.saving.load_model(path)
    rewrite(path, {"config.json": text.replace('"units": 8', '"units": NaN')})
    with pytest.raises(FileFormatError, match="NaN is not a JSON number"):
        pf.saving.load_model(path)
    header = b'{"0000:a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, ' \
             b'"0000:a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'
    rewrite(path, {"config.json": text, "model.weights.safetensors":
                   struct.pack("<Q", len(header)) + header + bytes(4)})
    with pytest.raises(FileFormatError, match="appears twice"):
        pf.saving.load_model(path)


# --- zip members ---------------------------------------------------------------------------------
def test_a_member_announcing_more_than_the_file_holds_is_refused_unread(saved, monkeypatch):
    _, path = saved
    data = bytearray(path.read_bytes())
    name = b"model.weights.safetensors"
    position = 0
    while (position := data.find(b"PK\x01\x02", position + 1)) >= 0:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46:position + 46 + length]) == name:
            struct.pack_into("<II", data, position + 20, 0xF0000000, 0xF0000000)
    path.write_bytes(bytes(data))
    monkeypatch.setattr(model_file, "_read_member", lambda *a: pytest.fail("read too early"))
    with pytest.raises(FileFormatError, match="more than the file holds"):
        pf.saving.load_model(path)


def test_listing_a_file_reads_headers_not_tensors(saved, monkeypatch):
    model, path = saved
    reads = []
    original = limits.read_exact
    monkeypatch.setattr(limits, "read_exact",
                        lambda f, size, name: reads.append(size) or original(f, size, name))
    info = pf.saving.read_file_info(path)
    assert [row[2] for row in info["weights"]] == [[4, 8], [8], [8, 3], [3]]
    assert sum(reads) < sum(w.numpy().nbytes for w in model.weights) + 4000


# --- the model is not allocated from config.json -------------------------------------------------
@pytest.mark.parametrize("layer, change, message", [
    (1, {"units": 1_000_000_000}, r"Layer 'dense' asks for a weight of shape \(4, 1000000000\)"),
    (2, {"units": 100_000_000}, r"Layer 'dense_1' asks for a weight of shape \(8, 100000000\)"),
])
def test_huge_layers_are_refused_before_allocation(saved, layer, change, message):
    _, path = saved
    with_config(path, lambda spec: spec["config"]["layers"][layer]["config"].update(change))
    tracemalloc.start()
    start = time.process_time()
    with pytest.raises(FileFormatError, match=message):
        pf.saving.load_model(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20 and time.process_time() - start < 1


def test_huge_embedding_and_convolution_are_refused(saved):
    _, path = saved
    layers = {
        "Embedding": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 4],
                                                              "name": "in"}},
                      {"class_name": "Embedding", "config": {"input_dim": 100_000_000,
                                                             "output_dim": 64, "name": "emb"}}],
        "Conv2D": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 8, 8, 3],
                                                           "name": "in"}},
                   {"class_name": "Conv2D", "config": {"filters": 10_000_000,
                                                       "kernel_size": [3, 3], "name": "conv"}}],
    }
    for listed in layers.values():
        with_config(path, lambda spec, listed=listed: spec["config"].update(layers=listed))
        with pytest.raises(FileFormatError, match="Layer '(emb|conv)' asks for a weight"):
            pf.saving.load_model(path)


def test_shape_inference_on_a_huge_input_is_refused(saved):
    _, path = saved
    layers = [{"class_name": "InputLayer", "config": {"batch_shape": [None, 200_000, 200_000],
                                                      "name": "wide"}},
              {"class_name": "Softmax", "config": {"name": "after"}}]
    with_config(path, lambda spec: spec["config"].update(layers=layers))
    with pytest.raises(FileFormatError, match="Layer 'after' would be called on an input of "
                                              r"shape \(2, 200000, 200000\)"):
        pf.saving.load_model(path)


@pf.saving.register_serializable(package="test_file_limits")
class Greedy(pf.layers.Layer):
    """A layer whose build runs out of memory (as a huge allocation would)."""

    def build(self, input_shape):
        raise MemoryError("Unable to allocate 149 GiB")


def test_memory_errors_become_file_format_errors_naming_the_layer(saved):
    _, path = saved
    greedy = {"class_name": "test_file_limits>Greedy", "config": {"name": "greedy"}}
    with_config(path, lambda spec: spec["config"]["layers"].insert(2, greedy))
    with pytest.raises(FileFormatError, match=r"at layer 'greedy'.*MemoryError: Unable to "
                                              "allocate 149 GiB"):
        pf.saving.load_model(path)


def test_loaded_weights_are_the_files_arrays_and_train(saved):
    model, path = saved
    loaded = pf.saving.load_model(path)
    for w in loaded.weights:
        data = w.data
        assert data.flags.writeable and data.flags.aligned
        assert data.size <= 1 or any(data.strides), "a placeholder was left in the model"
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    before = [w.numpy() for w in loaded.weights]
    loaded.fit(X, np.ones((3, 3), np.float32), epochs=1, verbose=0)
    assert all(not np.array_equal(a, w.numpy()) for a, w in zip(before, loaded.weights))
    fresh = make_model()  # add_weight outside a load initialises as usual
    assert np.abs(fresh.weights[0].numpy()).sum() > 0 and any(fresh.weights[0].data.strides)


# --- .npy ----------------------------------------------------------------------------------------
def npy(shape, dtype="<f8", data=b""):
    text = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


def test_read_npy_checks_the_header_against_the_file(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, X)
    np.testing.assert_array_equal(limits.read_npy(path), X)
    for shape, message in [((2**60,), "more than the"), ((2**29,), "more than the"),
                           ((5, 4), "holds 64 bytes of data")]:
        path.write_bytes(npy(shape, data=bytes(64)))
        with pytest.raises(FileFormatError, match=message):
            limits.read_npy(path, max_bytes=2**30)
    path.write_bytes(npy((2,), "|O", b"\x80\x04."))
    with pytest.raises(FileFormatError, match="expected a numeric"):
        limits.read_npy(path)


# --- writing: one temporary name per target, the umask respected --------------------------------
def test_a_stale_temporary_file_is_replaced_by_the_next_save(tmp_path):
    model = make_model()
    path = tmp_path / "model.profond"
    stale = tmp_path / ".model.profond.tmp"
    stale.write_bytes(b"left by a save killed with SIGKILL")
    model.save(path)
    assert sorted(os.listdir(tmp_path)) == ["model.profond"]
    model.save_weights(tmp_path / "w.weights.h5")
    pf.saving.save_checkpoint(model, tmp_path / "run.ckpt")
    assert sorted(os.listdir(tmp_path)) == ["model.profond", "run.ckpt", "w.weights.h5"]


def test_a_save_killed_midway_leaves_one_temporary_file(tmp_path):
    script = (
        "import os, signal, profond as pf\n"
        "from profond.saving import model_file\n"
        "m = pf.models.Sequential([pf.layers.Input(shape=(4,)), pf.layers.Dense(3)])\n"
        "real = model_file._write_archive\n"
        "def killed(path, members):\n"
        "    model_file._atomic_write(path, lambda f: (f.write(b'half'), "
        "os.kill(os.getpid(), signal.SIGKILL)))\n"
        "model_file._write_archive = killed\n"
        f"m.save({str(tmp_path / 'm.profond')!r})\n"
    )
    for _ in range(3):
        subprocess.run([sys.executable, "-c", script], timeout=120, check=False,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert os.listdir(tmp_path) == [".m.profond.tmp"]
    make_model().save(tmp_path / "m.profond")
    assert os.listdir(tmp_path) == ["m.profond"]


@pytest.mark.parametrize("umask, mode", [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)])
def test_saved_files_respect_the_umask(tmp_path, umask, mode):
    model = make_model()
    old = os.umask(umask)
    try:
        model.save(tmp_path / "m.profond")
        model.save_weights(tmp_path / "w.weights.safetensors")
    finally:
        os.umask(old)
    for name in ("m.profond", "w.weights.safetensors"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode


def test_an_unwritable_directory_names_the_target(tmp_path, monkeypatch):
    target = tmp_path / "model.profond"
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)  # works when the tests run as root, too
    with pytest.raises(PermissionError) as caught:
        make_model().save(target)
    assert str(target) in str(caught.value) and ".tmp" not in str(caught.value)
    if os.geteuid() != 0:  # a real read-only directory
        monkeypatch.undo()
        tmp_path.chmod(0o500)
        try:
            with pytest.raises(PermissionError, match="Cannot save .*model.profond'?$"):
                make_model().save(target)
        finally:
            tmp_path.chmod(0o700)


def test_resource_module_is_available():
    assert resource.getrlimit(resource.RLIMIT_AS)  # the limits above need it (POSIX)


def test_model_from_json_is_strict_too():
    text = make_model().to_json()
    assert '"units": 8' in text
    with pytest.raises(ValueError, match="model_from_json: .*'units' appears twice"):
        pf.saving.model_from_json(text.replace('"units": 8', '"units": 8, "units": 9'))
    with pytest.raises(ValueError, match="model_from_json: the string is not valid JSON"):
        pf.saving.model_from_json("[" * 100_000)


def test_json_with_millions_of_objects_is_refused_before_parsing(saved, default_limits):
    _, path = saved
    rewrite(path, {"config.json": b'{"x": [' + b"{}," * 2_000_000 + b"{}]}"})
    start = time.process_time()
    with pytest.raises(FileFormatError, match="holds 2000003 JSON objects and arrays, more "
                                              "than the 1000000 allowed"):
        pf.saving.load_model(path)
    assert time.process_time() - start < 0.5
    pf.saving.set_limits(max_json_containers=3_000_000)
    with pytest.raises(FileFormatError, match="Expected config.json to hold"):
        pf.saving.load_model(path)


def test_loading_allocates_the_weights_once(tmp_path):
    """The model's values are the file's arrays: no initialisation, no float64, no second copy
    (before: about six times the weights' bytes)."""
    pf.layers.clear_session()
    model = pf.models.Sequential([pf.layers.Input(shape=(512,)), pf.layers.Dense(1024),
                                  pf.layers.Dense(1024), pf.layers.Dense(10)])
    path = tmp_path / "big.profond"
    model.save(path)
    weights = sum(w.numpy().nbytes for w in model.weights)
    pf.saving.load_model(path)  # imports and caches warmed
    tracemalloc.start()
    loaded = pf.saving.load_model(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1.2 * weights + 2 * 2**20, (peak, weights)
    np.testing.assert_array_equal(loaded.weights[2].numpy(), model.weights[2].numpy())
