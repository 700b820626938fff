"""A corpus of crafted files for profond's loaders, generated on demand (never committed).

``generate(directory)`` writes the files and returns a list of ``Case``\\ s. Each case names a
file, the loaders it goes through and what each must do with it: ``"reject"`` (a clear error of
profond's own class, the model untouched), ``"valid"`` (loaded, with the same predictions as
the model it was saved from) or ``"display"`` (either, as long as nothing raw is printed). The
cases cover issue 13's files section:

- item 1, reads sized by the file: symlinks to ``/dev/zero``, a FIFO, zip members announcing
  15 GiB in 3 KB, zip bombs, 400,000 tiny tensors, safetensors headers announcing absurd lengths,
  offsets, shapes and dtypes, ``.npy`` headers announcing EiB;
- item 2, allocations sized by the config: ``Dense(1e9)``, ``Conv2D(filters=1e7)``,
  ``Embedding(1e8)``, a (2e5, 2e5) input, ``RepeatVector(1e9)``, duplicate JSON keys, deep nesting;
- item 3 (H2), a valid model of 12,000 layers listed output first;
- item 4 (H3), control characters, 1 MB names and lone surrogates in every displayed string;
- item 5 (H2), checkpoints refused after their weights were read (a bad random state, epoch or
  optimizer count): the model must stay as it was;
- item 6 (H2), a class of the wrong kind where a function is expected, NaN and infinite
  learning rates, a negative iteration count;
- and valid files of each kind, which must load unchanged.

``python tests/security/hostile_corpus.py DIR`` writes the corpus into ``DIR`` and lists it.
"""

import json
import os
import struct
import sys
import zipfile
from dataclasses import dataclass, field

import numpy as np

MODEL_LOADERS = ("load_model", "load_weights", "restore_checkpoint", "info", "predict")


@dataclass
class Case:
    """One crafted file: ``path``, what each loader must do with it, and why it exists."""

    name: str
    path: str
    loaders: dict  # loader -> "reject" | "valid" | "display" (shown safely, or rejected)
    about: str
    owner: str = "H1"  # whose fix makes this case pass (issue 13's helpers)
    expected: str = None  # a .npy of the predictions on ``INPUT`` (valid cases)
    extra: dict = field(default_factory=dict)


INPUT = np.linspace(-1.0, 1.0, 5 * 4, dtype=np.float32).reshape(5, 4)


# --- the reference model and valid files ---------------------------------------------------------
def reference_model(seed=0):
    """The model every ``load_weights``/``restore_checkpoint`` run loads into: 4 → 8 → 3,
    compiled with Adam and trained one step (so it has optimizer state)."""
    import profond as pf

    pf.layers.clear_session()
    pf.random.set_seed(seed)
    model = pf.models.Sequential([
        pf.layers.Input(shape=(4,)),
        pf.layers.Dense(8, activation="relu"),
        pf.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=pf.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(INPUT, np.arange(5) % 3, epochs=1, batch_size=5, verbose=0)
    return model


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _zip(path, members, deflate=()):
    """Write ``{name: bytes}`` as a zip (``deflate``: the names to compress)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            method = zipfile.ZIP_DEFLATED if name in deflate or name.endswith(".json") else \
                zipfile.ZIP_STORED
            zf.writestr(name, data, compress_type=method)


def _safetensors(header, data=b""):
    """Raw safetensors bytes from a header dict (no check: the header may lie)."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _tensors(arrays):
    """Valid safetensors bytes for ``[(key, array)]`` (written by hand: any key is allowed)."""
    codes = {"float32": "F32", "float64": "F64", "int64": "I64", "int32": "I32"}
    header, data, offset = {}, b"", 0
    for key, array in arrays:
        array = np.ascontiguousarray(array)
        header[key] = {"dtype": codes[array.dtype.name], "shape": list(array.shape),
                       "data_offsets": [offset, offset + array.nbytes]}
        data += array.tobytes()
        offset += array.nbytes
    return _safetensors(header, data)


def _config(layers, name="sequential", compile_config=None):
    """A ``config.json`` of a Sequential model of ``layers`` (dicts)."""
    return {"class_name": "Sequential",
            "config": {"name": name, "trainable": True, "dtype": "float32", "layers": layers},
            "compile_config": compile_config, "build_config": None}


def _input(shape, name="input_layer"):
    return {"class_name": "InputLayer",
            "config": {"batch_shape": [None, *shape], "dtype": "float32", "name": name}}


def _layer(class_name, **config):
    return {"class_name": class_name, "config": config}


class Corpus:
    """Writes files into ``directory`` and collects their cases."""

    def __init__(self, directory):
        import profond as pf

        self.pf = pf
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.cases = []
        model = reference_model()
        self.valid_model = self.path("valid_model.profond")
        model.save(self.valid_model)
        self.expected = self.path("expected.npy")
        np.save(self.expected, np.asarray(model.predict(INPUT, verbose=0)))
        self.valid = _members(self.valid_model)
        self.config = json.loads(self.valid["config.json"])
        self.metadata = json.loads(self.valid["metadata.json"])
        self.weights = self.valid["model.weights.safetensors"]
        self.input = self.path("valid_input.npy")
        np.save(self.input, INPUT)

    def path(self, name):
        return os.path.join(self.directory, name)

    def add(self, name, loaders, about, owner="H1", expected=None, **extra):
        self.cases.append(Case(name, self.path(name), dict(loaders), about, owner, expected,
                               extra))

    def model_file(self, name, about, owner="H1", config=None, metadata=None, weights=None,
                   extra_members=None, drop=(), deflate=(), loaders=MODEL_LOADERS,
                   expect="reject", weights_valid=False):
        """A ``.profond`` zip: the valid model's members with some replaced.

        ``weights_valid``: only the architecture is hostile, so ``load_weights`` and
        ``restore_checkpoint`` (which read the weights alone) must load the file unchanged."""
        members = dict(self.valid)
        if config is not None:
            members["config.json"] = config if isinstance(config, bytes) else \
                json.dumps(config).encode()
        if metadata is not None:
            members["metadata.json"] = metadata if isinstance(metadata, bytes) else \
                json.dumps(metadata).encode()
        if weights is not None:
            members["model.weights.safetensors"] = weights
        members.update(extra_members or {})
        for member in drop:
            members.pop(member, None)
        _zip(self.path(name), members, deflate)
        expected = {loader: expect for loader in loaders}
        if weights_valid:
            expected.update({loader: "valid" for loader in ("load_weights", "restore_checkpoint")
                             if loader in loaders})
        self.add(name, expected, about, owner, self.expected if weights_valid else None)

    def layers(self):
        return json.loads(json.dumps(self.config["config"]["layers"]))


# --- the cases -------------------------------------------------------------------------------
def _valid_files(c):
    pf = c.pf
    every = dict.fromkeys(MODEL_LOADERS, "valid")
    c.add("valid_model.profond", every, "the reference model, saved", expected=c.expected)
    model = reference_model()
    pf.saving.save_checkpoint(model, c.path("valid_checkpoint.ckpt"), epoch=3)
    c.add("valid_checkpoint.ckpt", {"load_weights": "valid", "restore_checkpoint": "valid",
                                    "load_model": "reject", "info": "valid"},
          "a weights-only checkpoint (load_model refuses it: no architecture)",
          expected=c.expected)
    pf.saving.save_checkpoint(model, c.path("valid_full_checkpoint.ckpt"), epoch=3,
                              include_config=True)
    c.add("valid_full_checkpoint.ckpt", every, "a checkpoint holding the architecture",
          expected=c.expected)
    model.save_weights(c.path("valid.weights.safetensors"))
    c.add("valid.weights.safetensors", {"load_weights": "valid"}, "raw safetensors weights",
          expected=c.expected)
    model.save_weights(c.path("valid.weights.h5"))
    c.add("valid.weights.h5", {"load_weights": "valid"}, "Keras 3 HDF5 weights",
          expected=c.expected)
    c.add("valid_input.npy", {"predict": "valid"}, "a valid input for predict")
    # A functional model with two branches (other loaders: a different architecture).
    inputs = pf.layers.Input(shape=(4,))
    a = pf.layers.Dense(5, activation="tanh")(inputs)
    b = pf.layers.Dense(5)(inputs)
    outputs = pf.layers.Dense(2)(pf.layers.Concatenate()([a, b]))
    functional = pf.models.Model(inputs, outputs)
    functional.save(c.path("valid_functional.profond"))
    expected = c.path("valid_functional_expected.npy")
    np.save(expected, np.asarray(functional.predict(INPUT, verbose=0)))
    c.add("valid_functional.profond", {"load_model": "valid", "info": "valid",
                                       "predict": "valid", "load_weights": "reject"},
          "a functional model (a different architecture from the reference)", expected=expected)


def _item1_reads(c):
    """Reads and allocations sized by the file."""
    for name, loaders in (("devzero.profond", MODEL_LOADERS),
                          ("devzero.weights.safetensors", ("load_weights",)),
                          ("devzero.npy", ("predict",))):
        os.symlink("/dev/zero", c.path(name))
        c.add(name, dict.fromkeys(loaders, "reject"), "a symlink to /dev/zero",
              owner="H3" if name.endswith(".npy") else "H1")
    os.mkfifo(c.path("fifo.profond"))
    c.add("fifo.profond", dict.fromkeys(MODEL_LOADERS, "reject"), "a FIFO (opening it blocks)")
    # A stored member whose directory entry announces 15 GiB (the file is a few kB).
    data = bytearray(open(c.valid_model, "rb").read())
    for offset in _central_entries(data, "model.weights.safetensors"):
        struct.pack_into("<I", data, offset + 20, 0xF0000000)  # compressed size
        struct.pack_into("<I", data, offset + 24, 0xF0000000)  # uncompressed size
    with open(c.path("member_15gib.profond"), "wb") as f:
        f.write(data)
    c.add("member_15gib.profond", dict.fromkeys(MODEL_LOADERS, "reject"),
          "a zip member announcing 4 GiB in a 3 KB file")
    data = bytearray(open(c.valid_model, "rb").read())
    for offset in _central_entries(data, "model.weights.safetensors"):
        struct.pack_into("<I", data, offset + 24, 40)  # says 40 bytes, holds more
        struct.pack_into("<I", data, offset + 20, 40)
    with open(c.path("member_short_size.profond"), "wb") as f:
        f.write(data)
    c.add("member_short_size.profond", dict.fromkeys(MODEL_LOADERS, "reject"),
          "a zip member announcing fewer bytes than it holds")
    # Zip bombs: 100 MB of zeros deflated (ratio ~1000); 400,000 tensors deflated (a ratio
    # under the limit: refused by the count, before the rest is decompressed).
    zeros = _safetensors({"0000:x": {"dtype": "U8", "shape": [100 * 2**20],
                                     "data_offsets": [0, 100 * 2**20]}}, bytes(100 * 2**20))
    c.model_file("bomb_zeros.profond", "100 MB of zeros deflated to 100 kB",
                 extra_members={"optimizer.safetensors": zeros},
                 deflate=("optimizer.safetensors",))
    c.model_file("bomb_weights.profond", "weights deflated 1000x",
                 weights=zeros, deflate=("model.weights.safetensors",))
    many = _many_tensors(400_000)
    c.model_file("tensors_400k.profond", "400,000 tiny tensors (a 3 MB member)", weights=many)
    c.model_file("tensors_400k_deflated.profond", "400,000 tiny tensors, deflated",
                 weights=many, deflate=("model.weights.safetensors",))
    with open(c.path("tensors_400k.weights.safetensors"), "wb") as f:
        f.write(many)
    c.add("tensors_400k.weights.safetensors", {"load_weights": "reject"},
          "400,000 tiny tensors in a raw safetensors file")
    c.model_file("optimizer_400k.profond", "400,000 optimizer tensors",
                 extra_members={"optimizer.safetensors": many})
    c.cases[-1].loaders["load_weights"] = "valid"  # it reads the weights alone
    c.cases[-1].expected = c.expected
    # Safetensors headers that lie.
    body = c.weights[8 + struct.unpack("<Q", c.weights[:8])[0]:]
    header = json.loads(c.weights[8:8 + struct.unpack("<Q", c.weights[:8])[0]])
    lies = {
        "header_2e62": struct.pack("<Q", 2**62) + c.weights[8:],
        "header_60mb": struct.pack("<Q", 60 * 2**20) + c.weights[8:],
        "header_not_json": struct.pack("<Q", 5) + b"{{{{{" + body,
        "header_array": _safetensors([1, 2, 3]),
        "offsets_past_end": _safetensors({**header, "0000:sequential/dense/kernel": {
            **header["0000:sequential/dense/kernel"], "data_offsets": [0, 2**40]}}, body),
        "shape_overflow": _safetensors({"0000:k": {"dtype": "F32", "shape": [2**40, 2**40],
                                                   "data_offsets": [0, 0]}}),
        "shape_eib": _safetensors({"0000:k": {"dtype": "F64", "shape": [2**60],
                                              "data_offsets": [0, 2**63]}}, bytes(64)),
        "shape_negative": _safetensors({"0000:k": {"dtype": "F32", "shape": [-1, 4],
                                                   "data_offsets": [0, 16]}}, bytes(16)),
        "shape_deep": _safetensors({"0000:k": {"dtype": "F32", "shape": [1] * 100000,
                                               "data_offsets": [0, 4]}}, bytes(4)),
        "dtype_unknown": _safetensors({"0000:k": {"dtype": "F8_E4M3", "shape": [4],
                                                  "data_offsets": [0, 4]}}, bytes(4)),
        "dtype_object": _safetensors({"0000:k": {"dtype": "O", "shape": [4],
                                                 "data_offsets": [0, 32]}}, bytes(32)),
        "offsets_overlap": _safetensors({
            "0000:a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
            "0001:b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, bytes(24)),
        "offsets_not_ints": _safetensors({"0000:k": {"dtype": "F32", "shape": [1],
                                                     "data_offsets": ["0", 4.0]}}, bytes(4)),
        "keys_unnumbered": _tensors([("kernel", np.zeros((4, 8), np.float32))]),
        "keys_gap": _tensors([("0000:a", np.zeros((4, 8), np.float32)),
                              ("0007:b", np.zeros(8, np.float32))]),
        "duplicate_keys": (lambda h: struct.pack("<Q", len(h)) + h + bytes(16))(
            b'{"0000:a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, '
            b'"0000:a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}'),
        "truncated": c.weights[: len(c.weights) // 2],
        "empty": b"",
    }
    for key, data in lies.items():
        c.model_file(f"st_{key}.profond", f"model weights: {key}", weights=data)
        with open(c.path(f"st_{key}.weights.safetensors"), "wb") as f:
            f.write(data)
        c.add(f"st_{key}.weights.safetensors", {"load_weights": "reject"},
              f"raw safetensors: {key}")
    # Other damaged containers.
    raw = open(c.valid_model, "rb").read()
    for key, data in {"zip_truncated": raw[: len(raw) // 2], "zip_garbage": os.urandom(4096),
                      "zip_empty": b"", "zip_tail_only": raw[-22:]}.items():
        with open(c.path(f"{key}.profond"), "wb") as f:
            f.write(data)
        c.add(f"{key}.profond", dict.fromkeys(MODEL_LOADERS, "reject"), key.replace("_", " "))
    c.model_file("member_unknown.profond", "a member with a path",
                 extra_members={"../../evil.json": b"{}"})
    c.model_file("metadata_newer.profond", "a newer format version",
                 metadata={**c.metadata, "format_version": 99})
    c.model_file("metadata_missing.profond", "no metadata", drop=("metadata.json",))
    c.model_file("config_huge_member.profond", "a 20 MB config (over the 16 MiB limit)",
                 config=b" " * (20 * 2**20) + b"{}", deflate=("config.json",))
    c.model_file("config_5m_objects.profond", "15 MB of {},{},... (400 MB once parsed)",
                 config=b'{"x": [' + b"{}," * (5 * 2**20) + b"{}]}", deflate=("config.json",))
    c.model_file("config_3m_strings.profond", "16 MB of short strings",
                 config=b'{"x": [' + b'"ab",' * (3 * 2**20) + b'"ab"]}',
                 deflate=("config.json",))
    # .npy inputs for predict.
    npys = {
        "npy_4gb": _npy_header("<f8", (2**29,)) + bytes(64),
        "npy_eib": _npy_header("<f8", (2**60,)) + bytes(64),
        "npy_shape_overflow": _npy_header("<f4", (2**40, 2**40)) + bytes(64),
        "npy_object": _npy_header("|O", (2,)) + b"\x80\x04K\x01.",
        "npy_header_1mb": b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**20) + b" " * 2**20,
        "npy_truncated": _npy_header("<f4", (5, 4)) + bytes(40),
        "npy_not_npy": b"hello, world",
        "npy_struct": _npy_header([("a", "<f4"), ("b", "<i4")], (5,)) + bytes(40),
    }
    for key, data in npys.items():
        with open(c.path(f"{key}.npy"), "wb") as f:
            f.write(data)
        c.add(f"{key}.npy", {"predict": "reject"}, f"predict --input: {key}", owner="H3")
    np.savez(c.path("npz_archive.npy"), a=INPUT)  # np.savez adds .npz
    os.replace(c.path("npz_archive.npy.npz"), c.path("npz_archive.npy"))
    c.add("npz_archive.npy", {"predict": "reject"}, "an .npz archive named .npy", owner="H3")


def _central_entries(data, member):
    """The offsets of the central-directory entries naming ``member`` in zip ``data``."""
    found, position, name = [], 0, member.encode()
    while True:
        position = data.find(b"PK\x01\x02", position)
        if position < 0:
            return found
        length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46:position + 46 + length]) == name:
            found.append(position)
        position += 4


def _many_tensors(count):
    """Safetensors bytes of ``count`` one-byte tensors (valid, just too many)."""
    parts = [f'"{i:07d}:w":{{"dtype":"U8","shape":[1],"data_offsets":[{i},{i + 1}]}}'
             for i in range(count)]
    text = ("{" + ",".join(parts) + "}").encode()
    return struct.pack("<Q", len(text)) + text + bytes(count)


def _npy_header(dtype, shape):
    """A ``.npy`` version 1.0 header announcing ``shape`` of ``dtype`` (the data may lie)."""
    text = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def _item2_allocations(c):
    """Configs that ask for huge allocations, and JSON tricks (the weights are valid)."""
    def case(name, about, config):
        c.model_file(name, about, config=config, weights_valid=True)

    dense = c.layers()
    dense[1]["config"]["units"] = 1_000_000_000
    case("dense_1e9.profond", "Dense(1e9) in a 3 KB file", config=_config(dense))
    big = [_input((4,)), _layer("Dense", units=8, activation="relu", name="d1"),
           _layer("Dense", units=100_000_000, name="d2")]
    case("dense_1e8_second.profond", "a Dense(1e8) after a valid one",
                 config=_config(big))
    conv = [_input((8, 8, 3)), _layer("Conv2D", filters=10_000_000, kernel_size=[3, 3],
                                       name="conv")]
    case("conv_1e7.profond", "Conv2D(filters=1e7)", config=_config(conv))
    embedding = [_input((4,)), _layer("Embedding", input_dim=100_000_000, output_dim=64,
                                      name="embedding")]
    case("embedding_1e8.profond", "Embedding(1e8, 64)", config=_config(embedding))
    wide = [_input((200_000, 200_000)), _layer("Dense", units=1, name="after_wide")]
    case("input_2e5x2e5.profond", "a Dense after a (2e5, 2e5) input: shape inference",
                 config=_config(wide))
    square = [_input((8192, 8192)), _layer("Activation", activation="relu", name="relu")]
    case("input_8k_square.profond", "an Activation after an (8192, 8192) input (512 MB)",
         _config(square))
    upsample = [_input((8, 8, 3)), _layer("UpSampling2D", size=[10_000, 10_000], name="up")]
    case("upsample_1e4.profond", "UpSampling2D(size=1e4): a 230 GB output, no weights",
         _config(upsample))
    repeat = [_input((4,)), _layer("RepeatVector", n=1_000_000_000, name="repeat")]
    case("repeat_1e9.profond", "RepeatVector(1e9): a huge output, no weights",
                 config=_config(repeat))
    text = json.dumps(c.config)
    duplicate = text.replace('"units": 8', '"units": 8, "units": 1000000000', 1)
    assert duplicate != text
    case("duplicate_key.profond", '"units": 8, "units": 1e9 (a duplicate key)',
                 config=duplicate.encode())
    case("deep_lists.profond", "100,000 nested lists", config=b"[" * 100_000)
    case("deep_dicts.profond", "50,000 nested objects in a layer config",
                 config=json.dumps(c.config)[:-1].encode() + b', "x": ' +
                 b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}")
    case("config_not_object.profond", "config.json is a list", config=b"[1, 2]")
    case("config_bad_utf8.profond", "config.json is not UTF-8", config=b"\xff\xfe{}")
    case("config_nan.profond", "NaN in config.json (not JSON)",
                 config=text.replace('"units": 8', '"units": NaN', 1).encode())
    negative = c.layers()
    negative[1]["config"]["units"] = -8
    case("dense_negative.profond", "Dense(units=-8)", config=_config(negative))
    rank = [{"class_name": "InputLayer", "config": {"batch_shape": [None] + [1] * 5000,
                                                    "dtype": "float32", "name": "input"}}]
    case("input_rank_5000.profond", "an input of rank 5001", config=_config(rank))
    unknown = c.layers()
    unknown[1]["class_name"] = "os.system"
    case("class_os_system.profond", "a class name that is a module path",
                 config=_config(unknown))


def _item3_rebuild(c):
    """A valid model of 12,000 layers listed output-first (H2: quadratic rebuild)."""
    count = 12_000
    layers = [{"class_name": "InputLayer", "name": "input",
               "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input"},
               "inbound_nodes": []}]
    previous = "input"
    for i in range(count):
        name = f"a{i}"
        layers.append({"class_name": "Activation", "name": name,
                       "config": {"activation": "linear", "name": name, "dtype": "float32",
                                  "trainable": True},
                       "inbound_nodes": [{"args": [{"__keras_tensor__": [previous, 0, 0]}],
                                          "kwargs": {"__dict__": {}}}]})
        previous = name
    layers = layers[:1] + layers[1:][::-1]
    config = {"class_name": "Functional", "config": {
        "name": "deep", "trainable": True, "layers": layers,
        "input_layers": {"__keras_tensor__": ["input", 0, 0]},
        "output_layers": {"__keras_tensor__": [previous, 0, 0]}},
        "compile_config": None, "build_config": None}
    members = {"config.json": json.dumps(config).encode(),
               "metadata.json": json.dumps(c.metadata).encode(),
               "model.weights.safetensors": _tensors([])}
    _zip(c.path("valid_12k_layers.profond"), members)
    np.save(c.path("identity_expected.npy"), INPUT)
    c.add("valid_12k_layers.profond", {"load_model": "valid", "predict": "valid"},
          "12,000 layers listed output first (valid)", owner="H2",
          expected=c.path("identity_expected.npy"))


def _item4_display(c):
    """Strings that reach the terminal (H3): each file may be refused, or loaded and shown
    escaped ("display"), but never printed raw."""
    shown = {"owner": "H3", "expect": "display"}
    hostile = {
        "esc_clear": "dense\x1b[2J\x1b[H",
        "esc_title": "dense\x1b]0;owned\x07",
        "newline_row": "dense\nTotal params: 0 (looks safe)",
        "carriage_return": "dense\rxx",
        "bidi_override": "dense\u202egnp.exe",
        "lone_surrogate": "dense\ud800",
        "name_1mb": "d" * 2**20,
    }
    for key, name in hostile.items():
        layers = c.layers()
        layers[1]["config"]["name"] = name
        c.model_file(f"name_{key}.profond", f"a layer named {key}", **shown,
                     config=_config(layers), loaders=("load_model", "info"))
    c.model_file("model_name_esc.profond", "a model named with ESC", **shown,
                 config=_config(c.layers(), name="m\x1b[31mred"), loaders=("load_model", "info"))
    c.model_file("metadata_esc.profond", "metadata with ESC and a newline", **shown,
                 metadata={**c.metadata, "profond_version": "1.0\x1b[2J\nKind: safe",
                           "date_saved": "\x1b]0;t\x07"}, loaders=("info",))
    spec = json.loads(json.dumps(c.config))
    spec["compile_config"]["loss"] = "mse\x1b[2J"
    c.model_file("compile_loss_esc.profond", "a loss name with ESC", **shown, config=spec,
                 loaders=("load_model", "info"))
    arrays = [(f"000{i}:w\x1b[2J\n{i}", np.zeros(s, np.float32))
              for i, s in enumerate([(4, 8), (8,), (8, 3), (3,)])]
    c.model_file("weight_names_esc.profond", "weight names with ESC and newlines", **shown,
                 weights=_tensors(arrays), loaders=("info", "load_model"))
    unknown = c.layers()
    unknown[1]["class_name"] = "Evil\x1b[2J\nClass"
    c.model_file("class_name_esc.profond", "an unknown class named with ESC", **shown,
                 config=_config(unknown), loaders=("load_model", "info"))


def _item6_types(c):
    """Objects of the wrong kind, values out of range (H2)."""
    def with_dense(name, about, **change):
        layers = c.layers()
        layers[1]["config"].update(change)
        c.model_file(name, about, owner="H2", config=_config(layers),
                     loaders=("load_model", "predict"))

    with_dense("activation_sequential.profond", "a Sequential as a Dense activation",
               activation={"class_name": "Sequential", "config": {"layers": []}})
    with_dense("activation_adam.profond", "an Adam optimizer as an activation",
               activation={"class_name": "Adam", "config": {"learning_rate": 0.1}})
    with_dense("constraint_raw_dict.profond", "a kernel_constraint that is a plain dict",
               kernel_constraint={"foo": 1})
    with_dense("initializer_dense.profond", "a Dense layer as an initializer",
               kernel_initializer={"class_name": "Dense", "config": {"units": 2}})
    spec = json.loads(json.dumps(c.config))
    spec["compile_config"]["loss"] = {"class_name": "Dense", "config": {"units": 1}}
    c.model_file("loss_dense.profond", "a Dense layer as the loss", owner="H2", config=spec,
                 loaders=("load_model",))
    for key, rate in (("inf", "1e999"), ("negative", "-0.5")):
        text = json.dumps(c.config).replace('"learning_rate": 0.01',
                                            f'"learning_rate": {rate}', 1)
        assert rate in text
        c.model_file(f"learning_rate_{key}.profond", f"learning rate {rate}", owner="H2",
                     config=text.encode(), loaders=("load_model",))
    optimizer = c.valid["optimizer.safetensors"]
    header = json.loads(optimizer[8:8 + struct.unpack("<Q", optimizer[:8])[0]])
    body = bytearray(optimizer[8 + struct.unpack("<Q", optimizer[:8])[0]:])
    key = next(k for k in header if k.endswith("iteration"))
    begin = header[key]["data_offsets"][0]
    struct.pack_into("<q", body, begin, -5)
    c.model_file("iteration_negative.profond", "a negative iteration count", owner="H2",
                 extra_members={"optimizer.safetensors": _safetensors(header, bytes(body))},
                 loaders=("load_model", "restore_checkpoint"))


def _item5_half_restores(c):
    """Checkpoints whose weights are valid but whose later parts are not (H2): a refusal must
    leave the model as it was, not half-restored."""
    checkpoint = _members(c.path("valid_checkpoint.ckpt"))
    state = json.loads(checkpoint["training_state.json"])
    bad_states = {
        "rng_not_digits": {**state, "rng_state": {**state["rng_state"], "state": {
            "state": "x", "inc": "1"}}},
        "rng_unknown_generator": {**state, "rng_state": {**state["rng_state"],
                                                         "bit_generator": "MT19937"}},
        "epoch_negative": {**state, "epoch": -3},
    }
    for key, value in bad_states.items():
        _zip(c.path(f"ckpt_{key}.ckpt"),
             {**checkpoint, "training_state.json": json.dumps(value).encode()})
        c.add(f"ckpt_{key}.ckpt", {"restore_checkpoint": "reject"}, f"a checkpoint: {key}",
              owner="H2")
    from profond.saving.model_file import load_tensors

    arrays = sorted(load_tensors(checkpoint["optimizer.safetensors"], "optimizer").items())
    _zip(c.path("ckpt_optimizer_short.ckpt"),
         {**checkpoint, "optimizer.safetensors": _tensors(arrays[:-1])})
    c.add("ckpt_optimizer_short.ckpt", {"restore_checkpoint": "reject"},
          "a checkpoint missing its last optimizer variable", owner="H2")


def generate(directory):
    """Write the corpus into ``directory``; return its ``Case``\\ s."""
    c = Corpus(directory)
    _valid_files(c)
    _item1_reads(c)
    _item2_allocations(c)
    _item3_rebuild(c)
    _item4_display(c)
    _item5_half_restores(c)
    _item6_types(c)
    return c.cases


if __name__ == "__main__":
    for case in generate(sys.argv[1]):
        print(f"{case.name:45s} {case.owner} {sorted(case.loaders.items())}  {case.about}")
