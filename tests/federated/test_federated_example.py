"""examples/federated_fashion_mnist.py --quick runs the three trainings and they all learn."""

import pathlib
import runpy

import pytest

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "federated_fashion_mnist.py"


@pytest.mark.slow
def test_quick_run_compares_centralized_iid_and_non_iid(capsys):
    try:
        import profond as tf

        tf.keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # offline and not cached
        pytest.skip(f"Fashion-MNIST is not available: {error}")
    results = runpy.run_path(str(EXAMPLE))["main"](["--quick"])
    assert list(results) == ["centralized", "FedAvg IID", "FedAvg non-IID α=0.5"]
    assert all(acc > 0.45 for acc in results.values()), results  # 10 classes: chance is 0.1
    assert "vs centralized" in capsys.readouterr().out
