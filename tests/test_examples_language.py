"""The language-model examples (issue 17): the small GPT against its PyTorch twin, and the
ladder bigram → MLP → LSTM → transformer, in their ``--quick`` form."""

import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each example is a fresh interpreter that trains

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
WORDS = pathlib.Path("/usr/share/dict/french")


def run(name, *args):
    if not WORDS.exists():
        pytest.skip("Debian's wfrench word list is not installed (apt-get install wfrench)")
    out = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                         text=True, timeout=600, check=True)
    return out.stdout


def test_gpt_matches_its_pytorch_twin_and_samples_words():
    out = run("gpt_french.py", "--quick")
    ours = float(re.search(r"profond: test NLL ([\d.]+)", out).group(1))
    theirs = float(re.search(r"PyTorch: test NLL ([\d.]+)", out).group(1))
    assert abs(ours / theirs - 1) < 0.01, out
    assert ours < 2.3, out  # well below the bigram's ≈ 2.34 on this split
    samples = re.findall(r"top-k = (\S+): (.+) \((\d)/8 not in", out)
    assert len(samples) == 3 and all(len(s[1].split()) == 8 for s in samples), out


def test_ladder_each_rung_beats_the_bigram():
    out = run("char_ladder.py", "--quick")  # the script asserts the order itself
    table = out.split("the ladder")[1]
    nll = dict(re.findall(r"^  (.+?)\s+([\d.]+)$", table, re.M))
    assert list(nll) == ["bigram counts", "MLP (Bengio 2003)", "LSTM", "transformer"], out
    assert all(float(nll[k]) < float(nll["bigram counts"]) for k in list(nll)[1:]), out
