"""The README's code runs as shown (issue 20): its Python blocks, one after the other in one fresh
interpreter (each builds on the ones before, as a reader pasting them would), and its command-line
block, each line in a shell from the repository's root layout (``.venv/bin/...`` as written)."""

import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_python_blocks_run_and_print_what_the_comments_say(tmp_path):
    code = "\n".join(blocks("python"))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "0.00091"
    by_hand, keras = (float(line.split(": ")[1]) for line in lines[1:3])
    assert by_hand > 0.92 and keras > 0.95, lines
    assert (tmp_path / "mlp.profond").is_file()


def test_command_line_block_runs(tmp_path):
    """Each line of the CLI block, in a folder where ``.venv`` is this interpreter's venv."""
    (tmp_path / ".venv").symlink_to(pathlib.Path(sys.executable).parents[1])
    cli = next(b for b in blocks("sh") if "profond train" in b)
    outputs = []
    for line in cli.strip().splitlines():
        done = subprocess.run(line, shell=True, cwd=tmp_path, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stderr[-2000:]}"
        outputs.append(done.stdout)
    predict, evaluate = outputs[2], outputs[3]
    assert len(re.findall(r"\b[0-9]\b", predict)) >= 5, predict
    assert float(re.search(r"accuracy[ :=]+([0-9.]+)", evaluate).group(1)) > 0.95, evaluate
