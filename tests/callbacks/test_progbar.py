"""The progress display: a redrawn bar on a terminal, plain lines anywhere else."""

import io

from profond.callbacks.progbar import _ANSI, Progbar, ProgbarLogger, _format_duration


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run_fit(logger, epochs=2, steps=5, batches=None):
    logger.set_params({"epochs": epochs, "steps": steps, "verbose": 1})
    logger.on_train_begin()
    for epoch in range(epochs):
        logger.on_epoch_begin(epoch)
        for batch in range(batches or steps):
            logger.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1), "accuracy": 0.5})
        logger.on_epoch_end(epoch, {"loss": 0.25, "accuracy": 0.8123, "val_loss": 0.3})
    logger.on_train_end()


def test_plain_stream_gets_one_line_per_epoch_and_no_carriage_return():
    out = io.StringIO()
    run_fit(ProgbarLogger(verbose=1, stream=out), epochs=2, steps=50)
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert len(lines) == 4
    assert lines[1].startswith("50/50 ━━━━━━━━━━━━━━━━━━━━ ")
    assert "ms/step" in lines[1] or "us/step" in lines[1]
    assert lines[1].endswith("- accuracy: 0.8123 - loss: 0.2500 - val_loss: 0.3000")


def test_terminal_redraws_in_place(monkeypatch):
    out = Terminal()
    logger = ProgbarLogger(verbose=1, stream=out)
    run_fit(logger, epochs=1, steps=3)
    text = out.getvalue()
    assert text.startswith("Epoch 1/1\n")
    assert text.count("\r") >= 2  # the first batch and the final line at least
    assert text.endswith("\n") and "val_loss: 0.3000" in text.splitlines()[-1]


def test_verbose_2_writes_one_line_per_epoch():
    out = io.StringIO()
    run_fit(ProgbarLogger(verbose=2, stream=out), epochs=3, steps=4)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("Epoch 2/3 - 4/4 - ")
    assert "loss: 0.2500" in lines[1] and "\r" not in out.getvalue()


def test_verbose_from_params_and_zero_is_silent():
    out = io.StringIO()
    logger = ProgbarLogger(stream=out)
    logger.set_params({"epochs": 1, "steps": 2, "verbose": 0})
    logger.on_epoch_begin(0)
    logger.on_train_batch_end(0, {"loss": 1.0})
    logger.on_epoch_end(0, {"loss": 1.0})
    assert out.getvalue() == ""


def test_evaluate_and_predict_bars():
    out = io.StringIO()
    logger = ProgbarLogger(verbose=1, stream=out)
    logger.set_params({"steps": 3, "verbose": 1})
    logger.on_test_begin()
    for b in range(3):
        logger.on_test_batch_end(b, {"loss": 0.5})
    logger.on_test_end({"loss": 0.5, "accuracy": 0.9})
    logger.on_predict_begin()
    for b in range(3):
        logger.on_predict_batch_end(b, {"outputs": [1, 2]})
    logger.on_predict_end()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("3/3 ") and lines[0].endswith("accuracy: 0.9000 - loss: 0.5000")
    assert lines[1].startswith("3/3 ") and " - " not in lines[1]


def test_validation_inside_fit_is_not_shown_separately():
    out = io.StringIO()
    logger = ProgbarLogger(verbose=1, stream=out)
    logger.set_params({"epochs": 1, "steps": 2, "verbose": 1})
    logger.on_train_begin()
    logger.on_epoch_begin(0)
    logger.on_train_batch_end(0, {"loss": 1.0})
    logger.on_train_batch_end(1, {"loss": 1.0})
    logger.on_test_begin()
    logger.on_test_batch_end(0, {"loss": 2.0})
    logger.on_test_end({"loss": 2.0})
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    assert len(out.getvalue().splitlines()) == 2


def test_unknown_number_of_steps():
    out = Terminal()
    logger = ProgbarLogger(verbose=1, stream=out)
    run_fit(logger, epochs=2, steps=None, batches=5)
    first_epoch, second_epoch = out.getvalue().split("Epoch 2/2\n")
    assert "\r1/Unknown " in first_epoch  # while it runs, the length is not known
    assert first_epoch.splitlines()[-1].split("\r")[-1].startswith("5/5 ")
    assert "\r1/5 " in second_epoch  # learned after the first epoch


def test_progbar_small_values_and_durations():
    out = io.StringIO()
    bar = Progbar(10, stream=out)
    bar.update(10, {"loss": 0.0001, "lr": 0.001, "name": "skipped"})
    assert "loss: 1.0000e-04" in out.getvalue() and "name" not in out.getvalue()
    assert _format_duration(5.7) == "5s"
    assert _format_duration(125) == "2:05"
    assert _format_duration(3725) == "1:02:05"


def test_narrow_terminal_gets_lines_that_fit(monkeypatch):
    """On a 50-column terminal every redrawn line fits in 49 characters (a wrapped line would
    not be redrawn in place): the bar shrinks or goes, then the values are cut; the last line of
    the epoch keeps every value."""
    monkeypatch.setenv("COLUMNS", "50")
    out = Terminal()
    run_fit(ProgbarLogger(verbose=1, stream=out), epochs=1, steps=200)
    redraws = [_ANSI.sub("", part).rstrip(" \n") for part in out.getvalue().split("\r")[1:]]
    assert len(redraws) >= 2
    assert all(len(line) <= 49 for line in redraws[:-1]), redraws
    assert redraws[-1].endswith("- accuracy: 0.8123 - loss: 0.2500 - val_loss: 0.3000")
    assert redraws[-1].startswith("200/200 0s ")  # no room for a bar beside all the values
    monkeypatch.setenv("COLUMNS", "30")
    out = Terminal()
    run_fit(ProgbarLogger(verbose=1, stream=out), epochs=1, steps=200)
    redraws = [_ANSI.sub("", part).rstrip(" \n") for part in out.getvalue().split("\r")[1:]]
    assert all(len(line) <= 29 for line in redraws[:-1]), redraws
