"""Strings read from a file reach the terminal escaped and bounded (issue 13, item 4): layer and
model names, metadata, compile config, epochs, weight names and the errors quoting them, in
``summary()``, ``profond info``/``predict``/``evaluate``, progress lines and tracebacks. No raw
control character (which could clear the screen, set the window title or fake a table row), no
``UnicodeEncodeError`` from a lone surrogate, no megabytes printed for a 1 MB name."""

import contextlib
import io
import json
import re
import time
import zipfile

import numpy as np
import pytest

import profond as tf
from profond import registry
from profond._text import NAME_LIMIT, printable, quote, quote_name
from profond.cli import main

# Everything a terminal acts on instead of drawing: C0 (but the newlines that end our own lines),
# DEL, C1, bidirectional overrides, line/paragraph separators, surrogates.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                 "\ud800-\udfff]")
EVIL = "ev\x1b]0;pwned\x07il\x1b[2J\x9b\u202e\ud800\nTotal params: 0 (looks safe)"
FAKE_ROW = re.compile(r"^\s*Total params: 0 \(looks safe\)", re.MULTILINE)


def assert_safe(text, limit=20_000):
    assert not RAW.findall(text), f"raw control characters in: {text[:300]!r}"
    assert not FAKE_ROW.search(text), "a name's newline made a line of its own"
    assert len(text) < limit, f"{len(text)} characters printed"
    text.encode("utf-8")  # no lone surrogate left: printing cannot raise UnicodeEncodeError


# --- the helpers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, shown", [
    ("dense_1", "dense_1"),
    ("a\nb\rc\td", "a\\nb\\rc\\td"),
    ("\x1b[2J\x07\x00\x7f", "\\x1b[2J\\x07\\x00\\x7f"),
    ("\x9b31m\x85", "\\x9b31m\\x85"),  # C1: CSI and NEL
    ("abc\u202efed", "abc\\u202efed"),  # a right-to-left override hides text
    ("a\u2028b\u200bc", "a\\u2028b\\u200bc"),  # line separator, zero-width space
    ("x\ud800y", "x\\ud800y"),  # a lone surrogate (JSON's "\ud800")
    ("\U000e0001tag", "\\U000e0001tag"),
    ("café 中文 ∑ 🙂 back\\slash", "café 中文 ∑ 🙂 back\\slash"),  # drawn as is
])
def test_printable_escapes_what_a_terminal_would_act_on(raw, shown):
    assert printable(raw) == shown
    assert quote(raw) == f"'{shown}'" and quote_name(raw) == f'"{shown}"'


def test_printable_bounds_the_width_fast():
    huge = "N" * 10**6 + "\x1b" * 10**6
    begin = time.perf_counter()
    assert printable(huge, limit=10) == "NNNNNNNNN…"
    assert printable("\x1b" * 10**6, limit=9) == "\\x1b\\x1b…"
    assert time.perf_counter() - begin < 0.05  # the cut comes before the escaping
    assert printable("short", limit=5) == "short" and len(printable("x" * 6, 5)) == 5
    assert len(quote(EVIL * 10**4)) <= 202 and len(quote_name("n" * 10**5)) == NAME_LIMIT + 2
    assert quote({"a": EVIL}).startswith("{'a': 'ev\\x1b]0;") and printable(12) == "12"


def test_quote_survives_a_broken_repr():
    class Broken:
        def __repr__(self):
            raise RuntimeError("no")

    assert quote(Broken()) == "<Broken object>"


# --- hostile model files -------------------------------------------------------------------------
def _model():
    tf.keras.layers.clear_session()
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3, name="d1"),
                                 tf.keras.layers.Dense(2, name="d2")])
    model.compile("adam", "mse", metrics=["mae"])
    model.fit(np.zeros((4, 4)), np.zeros((4, 2)), verbose=0)
    return model


def _rewrite(source, target, config=None, metadata=None, drop=(), add=None):
    """Copy the zip ``source`` to ``target`` with its JSON members edited in place."""
    with zipfile.ZipFile(source) as z:
        members = {name: z.read(name) for name in z.namelist() if name not in drop}
    for name, edit in (("config.json", config), ("metadata.json", metadata)):
        if edit is not None:
            value = json.loads(members[name])
            edit(value)
            members[name] = json.dumps(value).encode()  # ASCII: "\ud800" stays a JSON escape
    members.update(add or {})
    with zipfile.ZipFile(target, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return str(target)


def _evil_names(config):
    config["config"]["name"] = EVIL
    for layer in config["config"]["layers"]:
        layer["config"]["name"] = EVIL + layer["config"]["name"]


def _huge_name(config):
    config["config"]["layers"][-1]["config"]["name"] = "N" * 10**6


def _evil_compile(config):
    compiled = config["compile_config"]
    compiled["loss"] = EVIL
    compiled["metrics"] = [EVIL * 10**4]
    compiled["optimizer"]["class_name"] = EVIL
    compiled["optimizer"]["config"]["learning_rate"] = EVIL


def _evil_metric(config):
    config["compile_config"]["metrics"] = [{"class_name": "metrics.MeanAbsoluteError",
                                            "config": {"name": EVIL}}]


def _evil_metadata(metadata):
    for key in ("kind", "date_saved", "profond_version", "numpy_version"):
        metadata[key] = EVIL * 1000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    ok = folder / "ok.profond"
    _model().save(ok)
    return {
        "names": _rewrite(ok, folder / "names.profond", config=_evil_names),
        "huge": _rewrite(ok, folder / "huge.profond", config=_huge_name),
        "compile": _rewrite(ok, folder / "compile.profond", config=_evil_compile),
        "metric": _rewrite(ok, folder / "metric.profond", config=_evil_metric),
        "metadata": _rewrite(ok, folder / "metadata.profond", metadata=_evil_metadata),
        "epoch": _rewrite(ok, folder / "epoch.profond",
                          add={"training_state.json": json.dumps({"epoch": EVIL}).encode()}),
    }


def _output(function, *args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        result = function(*args, **kwargs)
    return out.getvalue(), result


@pytest.mark.parametrize("kind", ["names", "huge"])
def test_summary_of_a_hostile_file_is_escaped_and_bounded(files, kind):
    model = tf.saving.load_model(files[kind])
    text, _ = _output(model.summary)
    assert_safe(text, limit=5_000)
    assert "Total params: 23 (92.00 B)" in text
    if kind == "names":
        assert 'Model: "ev\\x1b]0;pwned\\x07il\\x1b[2J\\x9b\\u202e\\ud800\\nTotal' in text
        assert "│ ev\\x1b]0;pwned" in text
    else:
        assert "N" * (NAME_LIMIT - 1) + "… (Dense)" in text


def test_summary_of_a_model_built_in_code_is_escaped_too():
    inputs = tf.keras.Input((4,), name="in\x1b[31m")
    a = tf.keras.layers.Dense(3, name="a" + EVIL)(inputs)
    b = tf.keras.layers.Dense(3, name="b\n")(inputs)
    model = tf.keras.Model(inputs, tf.keras.layers.Add(name="x" * 500)([a, b]), name=EVIL)
    lines = []
    model.summary(print_fn=lines.append)
    assert_safe("\n".join(lines))
    assert any("a" + printable(EVIL, NAME_LIMIT - 1) in line for line in lines)
    assert any("b\\n[0][0]" in line for line in lines)  # the "Connected to" column


@pytest.mark.parametrize("kind", ["names", "huge", "compile", "metadata", "epoch"])
def test_profond_info_escapes_every_string_from_the_file(files, kind, capsys):
    code = main(["info", files[kind]])
    out, err = capsys.readouterr()
    assert_safe(out + err)
    assert code == 0, err
    if kind == "compile":
        assert "optimizer=ev\\x1b]0;pwned" in out and "learning_rate=ev\\x1b" in out
    if kind == "epoch":
        assert "Epochs done:     ev\\x1b]0;pwned" in out
    if kind == "metadata":
        assert "Kind:            ev\\x1b]0;pwned" in out


def test_profond_info_of_a_weights_only_file_bounds_the_listing(tmp_path, capsys):
    tf.keras.layers.clear_session()
    evil = EVIL.replace("\ud800", "")  # NOTE: saving a lone surrogate fails (safetensors' UTF-8)
    model = tf.keras.Sequential([tf.keras.Input((2,))] + [
        tf.keras.layers.Dense(2, name=f"{evil}{i}") for i in range(40)])
    model.save(tmp_path / "m.profond")
    weights_only = _rewrite(tmp_path / "m.profond", tmp_path / "w.profond", drop=("config.json",))
    assert main(["info", weights_only]) == 0
    out, err = capsys.readouterr()
    assert_safe(out + err)
    assert "80 arrays" in out and "… and 30 more" in out
    assert "0000:sequential/ev\\x1b]0;pwned" in out


def test_cli_errors_quoting_the_file_are_escaped(files, tmp_path, capsys):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((2, 4), np.float32))
    unknown = _rewrite(files["names"], tmp_path / "cls.profond",
                       config=lambda c: c["config"]["layers"][-1].update(class_name=EVIL * 10**4))
    assert main(["predict", unknown, "--input", str(x)]) == 1
    out, err = capsys.readouterr()
    assert_safe(out + err, limit=2_100)
    assert err.startswith("profond predict: error: Unknown class 'ev\\x1b]0;pwned")

    def wider(config):
        config["config"]["layers"][-1]["config"]["units"] = 7

    mismatch = _rewrite(files["names"], tmp_path / "units.profond", config=wider)
    for command in (["predict", mismatch, "--input", str(x)], ["info", mismatch]):
        assert main(command) == 1
        out, err = capsys.readouterr()
        assert_safe(out + err)
        assert "Weight mismatch for variable 'ev\\x1b]0;pwned" in err


def test_load_errors_quote_names_safely(files, tmp_path):
    unknown = _rewrite(files["names"], tmp_path / "cls.profond",
                       config=lambda c: c["config"]["layers"][-1].update(class_name=EVIL * 10**4))
    with pytest.raises(registry.UnknownClassError) as info:
        tf.saving.load_model(unknown)
    assert_safe(str(info.value), limit=500)

    def wider(config):
        config["config"]["layers"][-1]["config"]["units"] = 7

    with pytest.raises(ValueError) as info:
        tf.saving.load_model(_rewrite(files["names"], tmp_path / "units.profond", config=wider))
    assert_safe(str(info.value), limit=1_000)


def test_layer_errors_quote_a_hostile_name_safely(files):
    model = tf.saving.load_model(files["names"])
    with pytest.raises(ValueError) as info:
        model.layers[0](np.zeros((2, 5), np.float32))
    assert_safe(str(info.value))
    assert 'of layer "ev\\x1b]0;pwned' in str(info.value)
    shown = repr(model.layers[0]) + repr(model.inputs[0]) + repr(model.outputs[0]._node)
    assert_safe(shown)
    assert "<Dense name=ev\\x1b]0;pwned" in shown


def test_progress_lines_escape_metric_names_from_a_file(files):
    model = tf.saving.load_model(files["metric"])
    for verbose in (1, 2):
        text, _ = _output(model.fit, np.zeros((2, 4)), np.zeros((2, 2)), verbose=verbose)
        assert_safe(text)
        assert "ev\\x1b]0;pwned" in text


def test_model_errors_quote_a_hostile_name_safely(files, tmp_path):
    model = tf.saving.load_model(files["names"])
    with pytest.raises(ValueError) as info:
        model(np.zeros((2, 3, 4), np.float32))
    assert_safe(str(info.value))
    assert 'model "ev\\x1b]0;pwned' in str(info.value)

    def twins(config):  # two layers of the same (hostile) name
        for layer in config["config"]["layers"]:
            layer["config"]["name"] = EVIL * 1000

    with pytest.raises(ValueError) as info:
        tf.saving.load_model(_rewrite(files["names"], tmp_path / "twins.profond", config=twins))
    assert_safe(str(info.value), limit=3_000)
