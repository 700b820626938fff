"""examples/dp_fashion_mnist.py --quick trains the Tramèr & Boneh CNN with DP-SGD, logging ε."""

import pathlib
import runpy

import pytest

pytest.importorskip("dp_accounting")
EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "dp_fashion_mnist.py"


@pytest.mark.slow
def test_quick_run_learns_and_reports_epsilon(capsys):
    try:
        import profond as tf

        tf.keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # offline and not cached
        pytest.skip(f"Fashion-MNIST is not available: {error}")
    result = runpy.run_path(str(EXAMPLE))["main"](["--quick"])
    # 6,000 images, 4 epochs, σ = 1: 0.74 measured; chance is 0.1 (the full run's goal: 0.86)
    assert result["accuracy"] > 0.6, result["accuracy"]
    assert result["steps"] == 4 * (6000 // 256)
    epsilons = result["history"]["epsilon"]
    assert len(epsilons) == 4 and epsilons == sorted(epsilons) and 1 < epsilons[-1] < 10
    assert "epsilon=" in capsys.readouterr().out


@pytest.mark.slow
def test_quick_run_on_poisson_batches(capsys):
    try:
        import profond as tf

        tf.keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # offline and not cached
        pytest.skip(f"Fashion-MNIST is not available: {error}")
    result = runpy.run_path(str(EXAMPLE))["main"](["--quick", "--poisson"])
    assert result["accuracy"] > 0.6, result["accuracy"]
    assert result["steps"] == 4 * (6000 // 256)  # one pass per step
    assert "as drawn by poisson_batches (exact)" in capsys.readouterr().out
