"""The examples print what the course says."""

import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each example is a fresh interpreter that trains

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def run(name):
    out = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True,
                         timeout=300, check=True)
    return out.stdout


def test_perceptron_prints_the_course_values():
    out = run("perceptron.py")
    assert "ŷ(a = (-1.0, 2.0)) = 0.00091" in out
    assert "ŷ(b = (0.0, -1.0)) = 0.95257" in out
    assert "ŷ = [0.5, 0.5, 0.5]" in out


def test_linear_regression_finds_the_line():
    out = run("linear_regression.py")
    a, b = map(float, re.search(r"found y = ([-\d.]+)·x \+ ([-\d.]+)", out).groups())
    assert abs(a - 3.0) < 0.05 and abs(b + 0.5) < 0.05


def test_xor_is_learned():
    out = run("xor.py")
    assert "accuracy: 1.00" in out


def test_sentiment_imdb_quick_learns_the_generated_reviews():
    out = subprocess.run([sys.executable, str(EXAMPLES / "sentiment_imdb.py"), "--quick"],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    accuracies = dict(re.findall(r"(bag of words|BiLSTM|transformer): test accuracy ([\d.]+)",
                                 out))
    assert set(accuracies) == {"bag of words", "BiLSTM", "transformer"}
    assert all(float(a) >= 0.7 for a in accuracies.values()), accuracies


def test_rl_maze_q_learning_finds_the_optimal_policy_on_every_maze():
    out = run("rl_maze.py")
    rows = re.findall(r"^  (\w+) +(\d) +[\d.]+ +(\d+) +(\d+)$", out, re.MULTILINE)
    assert len(rows) == 12 and all(differ == "0" for *_, differ in rows), rows
    assert out.count("mean return 0.910 ± 0.000") == 3


def test_rl_frozenlake_succeeds_at_least_70_percent_on_3_seeds():
    rates = re.findall(r"seed \d: success rate ([\d.]+) over 1000 episodes",
                       run("rl_frozenlake.py"))
    assert len(rates) == 3 and min(map(float, rates)) >= 0.70, rates


def test_rl_cartpole_ppo_quick_learns():
    out = subprocess.run([sys.executable, str(EXAMPLES / "rl_cartpole_ppo.py"), "--quick"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    mean = float(re.search(r"PPO seed 0: mean return ([\d.]+)", out).group(1))
    assert mean >= 100, out  # a random policy: ~22; the full run reaches 500 (see its docstring)


def test_rl_cartpole_dqn_quick_run_saves_and_reloads_the_same_agent():
    out = subprocess.run([sys.executable, str(EXAMPLES / "rl_cartpole_dqn.py"), "--quick"],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    trained = re.search(r"seed 0: mean return ([\d.]+ ± [\d.]+) over 20 episodes \(15,000 "
                        r"steps, 7,040 gradient steps", out)
    reloaded = re.search(r"saved and loaded \(\d+ kB\): mean return ([\d.]+ ± [\d.]+)", out)
    assert trained and reloaded and trained.group(1) == reloaded.group(1), out


def test_rl_acrobot_beats_the_untrained_agent():
    # NOTE: the full 40,000 steps (2–3 min): after the 8,000 of --quick the greedy policy can
    # still be the constant one (-500), as on a CPU whose BLAS kernels round otherwise
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "rl_acrobot.py")], capture_output=True,
        text=True, timeout=900, check=True).stdout
    before = float(re.search(r"untrained: mean return ([-\d.]+)", out).group(1))
    after = float(re.search(r"seed 0: mean return ([-\d.]+)", out).group(1))
    assert before <= -450 and after >= -300, out  # random: -500 (the step limit); solved: ~-100
