"""The ``profond`` command, driven through ``main([...])`` on the small digits data set."""

import numpy as np
import pytest

pytest.importorskip("sklearn")  # the digits come with scikit-learn

from profond.cli import main  # noqa: E402
from profond.datasets import digits  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "mlp.profond"
    code = main(["train", "--dataset", "digits", "--epochs", "3", "--batch-size", "32",
                 "--hidden", "32,16", "--optimizer", "adam", "--lr", "0.01", "--seed", "0",
                 "--output", str(path), "--verbose", "0"])
    assert code == 0
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_prints_accuracy_and_saves(tmp_path, capsys, trained):
    path = tmp_path / "again.profond"
    code, out, err = run(capsys, "train", "--epochs", "3", "--hidden", "32,16", "--lr", "0.01",
                         "--output", str(path), "--verbose", "2")
    assert code == 0 and path.exists() and err == ""
    assert out.count("Epoch ") == 3 and "\r" not in out  # one line per epoch, no redraw
    accuracy = float(out.split("Test accuracy: ")[1].split()[0])
    assert accuracy > 0.8
    # Same seed, same result: the evaluate command finds the accuracy train printed.
    code, out, _ = run(capsys, "evaluate", str(trained), "--dataset", "digits")
    assert code == 0 and f"accuracy: {accuracy:.4f}" in out


def test_predict_prints_classes_and_saves_probabilities(tmp_path, capsys, trained):
    _, (x_test, y_test) = digits.load_data()
    np.save(tmp_path / "x.npy", x_test[:20])
    out_path = tmp_path / "p.npy"
    code, out, err = run(capsys, "predict", str(trained), "--input", str(tmp_path / "x.npy"),
                         "--scale", "16", "--output", str(out_path))
    assert code == 0 and "Saved predictions of shape (20, 10)" in err
    labels = [int(line) for line in out.split()]
    probabilities = np.load(out_path)
    assert labels == probabilities.argmax(axis=1).tolist()
    assert np.mean(np.array(labels) == y_test[:20]) > 0.7
    np.save(tmp_path / "flat.npy", x_test[:3].reshape(3, 64))  # flattened images work too
    code, out, _ = run(capsys, "predict", str(trained), "--input", str(tmp_path / "flat.npy"),
                       "--scale", "16")
    assert code == 0 and out.split() == [str(v) for v in labels[:3]]


def test_info(capsys, trained):
    code, out, _ = run(capsys, "info", str(trained))
    assert code == 0
    assert "format version 1" in out and 'Model: "sequential' in out
    assert "2,778 numbers" in out  # 64·32+32 + 32·16+16 + 16·10+10
    assert "optimizer=Adam (learning_rate=0.01)" in out and "dense_1 (Dense)" in out


def test_info_on_a_keras_3_file(tmp_path, capsys, trained):
    from profond.saving import load_model

    path = tmp_path / "mlp.keras"
    load_model(trained).save(path)
    code, out, _ = run(capsys, "info", str(path))
    assert code == 0
    assert "Keras 3 model file (saved by Keras 3." in out and "2,778 numbers" in out
    assert "Optimizer state:" in out and "dense_1 (Dense)" in out


def test_bad_inputs_give_a_message_and_an_exit_code(tmp_path, capsys, trained):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "wrong.npy", np.zeros((2, 5, 5)))
    (tmp_path / "junk.profond").write_bytes(b"PK\x03\x04 not really a zip")
    cases = [
        (["evaluate", str(tmp_path / "missing.profond")], "No such model file"),
        (["info", str(tmp_path / "junk.profond")], "not a valid profond file"),
        (["predict", str(trained), "--input", str(tmp_path / "objects.npy")],
         "expected a numeric .npy array"),
        (["predict", str(trained), "--input", str(tmp_path / "wrong.npy")],
         "Expected inputs of shape (n, 8, 8)"),
        (["predict", str(trained), "--input", str(tmp_path / "none.npy")], "No such input"),
    ]
    for argv, message in cases:
        code, out, err = run(capsys, *argv)
        assert code == 1 and message in err and "Traceback" not in err, (argv, err)
    for argv in (["train", "--hidden", "12,x"], ["train", "--epochs", "0"],
                 ["train", "--dataset", "cifar"], ["predict", str(trained)], []):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "usage" in err, argv
    assert run(capsys, "--help")[0] == 0
