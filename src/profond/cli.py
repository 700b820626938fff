"""The ``profond`` command: train, evaluate, inspect and use models from a terminal.

    profond train --dataset digits --epochs 10 --hidden 128,64 --output mlp.profond
    profond evaluate mlp.profond --dataset digits
    profond predict mlp.profond --input images.npy --scale 16 --output probabilities.npy
    profond info mlp.profond
    profond export mlp.profond mlp.onnx
    profond serve mlp.profond --port 8501
    profond launch -n 2 train.py --epochs 5

``train`` fits a multilayer perceptron (``Flatten``, ``Dense`` layers with ReLU, a softmax
output) on pixels scaled to [0, 1], prints the test accuracy and saves the model. Every command
returns an exit code: 0 on success, 1 when something goes wrong (a clear message on stderr, no
traceback; set ``PROFOND_DEBUG=1`` to see one), 2 for a bad command line.
"""

import argparse
import os
import sys
import tempfile

import numpy

from profond._text import MESSAGE_LIMIT, NAME_LIMIT, printable

# What pixel value means "white" in each data set: inputs are divided by it.
DATASETS = {"digits": 16.0, "mnist": 255.0, "fashion_mnist": 255.0}
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
MAX_INPUT_BYTES = 4 * 2**30  # the largest .npy file ``predict`` reads
ERROR_LIMIT = 2000  # the longest error message printed, in characters


class CommandError(Exception):
    """A problem with what the user asked: printed as is, exit code 1."""


# --------------------------------------------------------------------------------------------
# Command-line parsing
# --------------------------------------------------------------------------------------------
def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value


def _port(text):
    """A TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, received {text!r}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, received {text!r}")
    return value


def _layer_sizes(text):
    """``"128,64"`` → ``[128, 64]``; ``""`` → ``[]`` (no hidden layer)."""
    try:
        return [_positive_int(part) for part in text.split(",") if part.strip()]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected layer sizes like 128,64, received {text!r}"
        ) from None


def _parser():
    parser = argparse.ArgumentParser(
        prog="profond", description="Train, evaluate, inspect and use profond models."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train a multilayer perceptron on a data set")
    train.add_argument("--dataset", choices=sorted(DATASETS), default="digits")
    train.add_argument("--epochs", type=_positive_int, default=10)
    train.add_argument("--batch-size", type=_positive_int, default=32)
    train.add_argument("--hidden", type=_layer_sizes, default=[128, 64],
                       help="hidden layer sizes, comma-separated (default: 128,64)")
    train.add_argument("--dropout", type=float, default=0.0,
                       help="dropout rate after each hidden layer (default: 0)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    train.add_argument("--lr", type=_positive_float, default=0.001, help="learning rate")
    train.add_argument("--validation-split", type=float, default=0.0)
    train.add_argument("--output", default="model.profond", help="where to save the model")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)
    train.set_defaults(run=train_command)

    evaluate = commands.add_parser("evaluate", help="loss and accuracy of a model on a test set")
    evaluate.add_argument("model")
    evaluate.add_argument("--dataset", choices=sorted(DATASETS), default="digits")
    evaluate.add_argument("--batch-size", type=_positive_int, default=256)
    evaluate.set_defaults(run=evaluate_command)

    predict = commands.add_parser("predict", help="predicted classes for inputs in a .npy file")
    predict.add_argument("model")
    predict.add_argument("--input", required=True, help="a .npy file of inputs")
    predict.add_argument("--scale", type=_positive_float, default=1.0,
                         help="divide the inputs by this first (16 for raw digits, 255 for MNIST)")
    predict.add_argument("--output", help="save the predicted probabilities to this .npy file")
    predict.add_argument("--batch-size", type=_positive_int, default=256)
    predict.set_defaults(run=predict_command)

    info = commands.add_parser("info", help="what a model file holds")
    info.add_argument("model")
    info.set_defaults(run=info_command)

    export = commands.add_parser("export", help="write a model file as ONNX (for onnxruntime…)")
    export.add_argument("model", help="a .profond model file")
    export.add_argument("output", help="the .onnx file to write")
    export.set_defaults(run=export_command)

    serve = commands.add_parser("serve", help="serve a model with TensorFlow Serving's REST API")
    serve.add_argument("model", help="a .profond model file")
    serve.add_argument("--name", help="the model's name in the URL (default: the file's stem)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=_positive_int, default=8501)
    serve.add_argument("--max-batch-size", type=_positive_int, default=256,
                       help="most rows predicted in one forward pass")
    serve.add_argument("--max-body-bytes", type=_positive_int, default=16 * 2**20)
    serve.set_defaults(run=serve_command)

    launch = commands.add_parser("launch", help="run a training script on several MPI processes")
    launch.add_argument("-n", "--processes", type=_positive_int, default=2,
                        help="how many processes (ranks)")
    launch.add_argument("script", help="the Python script (it makes a "
                                       "MultiWorkerMirroredStrategy)")
    launch.add_argument("arguments", nargs=argparse.REMAINDER, help="the script's arguments")
    launch.set_defaults(run=launch_command)

    playground = commands.add_parser("playground",
                                     help="train small networks live in the browser")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default: 127.0.0.1, this machine only)")
    playground.add_argument("--port", type=_port, default=8000,
                            help="port to listen on (default: 8000; 0: any free port, printed)")
    playground.add_argument("--no-browser", action="store_true",
                            help="do not open a browser tab")
    playground.add_argument("--token", default=os.environ.get("PROFOND_PLAYGROUND_TOKEN"),
                            help="secret every request must carry (default: "
                                 "$PROFOND_PLAYGROUND_TOKEN; off 127.0.0.1 one is generated)")
    playground.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                            help="a Host name to serve besides localhost (repeatable)")
    playground.set_defaults(run=playground_command)
    return parser


def main(argv=None):
    """Run the ``profond`` command with ``argv`` (``sys.argv[1:]`` by default); return the exit
    code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage and the problem
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("profond: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a command line shows messages, not tracebacks
        if os.environ.get("PROFOND_DEBUG"):
            raise
        print(f"profond {args.command}: error: {_describe(error)}", file=sys.stderr)
        return 1


def _describe(error):
    """The one line printed for ``error``: escaped and bounded (it may quote a file's strings)."""
    if isinstance(error, OSError) and error.filename:
        text = f"{error.strerror}: {error.filename}"
    elif isinstance(error, (CommandError, ValueError, OSError)):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return printable(text, ERROR_LIMIT)


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------
def load_dataset(name):
    """``(x_train, y_train), (x_test, y_test)`` with pixels scaled to [0, 1] as float32."""
    from profond import datasets

    (x_train, y_train), (x_test, y_test) = getattr(datasets, name).load_data()
    scale = DATASETS[name]
    return ((x_train.astype(numpy.float32) / scale, y_train.astype(numpy.int64)),
            (x_test.astype(numpy.float32) / scale, y_test.astype(numpy.int64)))


def build_mlp(input_shape, hidden, classes, dropout=0.0):
    """``Flatten``, then ``Dense(h, relu)`` (and ``Dropout``) per hidden size, then
    ``Dense(classes, softmax)``."""
    from profond import layers, models

    layers.clear_session()  # the layers are named dense, dense_1, ... in every saved file
    stack = [layers.Input(shape=input_shape), layers.Flatten()]
    for units in hidden:
        stack.append(layers.Dense(units, activation="relu"))
        if dropout:
            stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(classes, activation="softmax"))
    return models.Sequential(stack)


def train_command(args):
    import profond
    from profond import optimizers

    (x_train, y_train), (x_test, y_test) = load_dataset(args.dataset)
    profond.random.set_seed(args.seed)
    model = build_mlp(x_train.shape[1:], args.hidden, classes=int(y_train.max()) + 1,
                      dropout=args.dropout)
    optimizer = optimizers.get({"class_name": args.optimizer,
                                "config": {"learning_rate": args.lr}})
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              validation_split=args.validation_split, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} - test loss: {loss:.4f}")
    model.save(args.output)
    print(f"Saved the model to {args.output}")
    return 0


def _load(path):
    from profond import saving

    if not os.path.isfile(path):
        raise CommandError(f"No such model file: {path}")
    return saving.load_model(path)


def evaluate_command(args):
    model = _load(args.model)
    if model.optimizer is None:
        raise CommandError(f"{args.model} was saved without compile settings: cannot evaluate.")
    _, (x_test, y_test) = load_dataset(args.dataset)
    x_test = _fit_to_model(model, x_test)
    results = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0,
                             return_dict=True)
    print(" - ".join(f"{_shown(name)}: {value:.4f}" for name, value in results.items()))
    return 0


def _read_npy(path):
    """A numeric array from a ``.npy`` file, read as a file from anyone: the header first (numbers
    only, no pickled objects, a shape whose bytes are what the file holds, at most
    ``MAX_INPUT_BYTES``), then exactly the announced bytes (``profond.saving.limits.read_npy``)."""
    from profond.saving.limits import read_npy

    if not os.path.lexists(path):
        raise CommandError(f"No such input file: {path}")
    return read_npy(path, max_bytes=MAX_INPUT_BYTES)


def _fit_to_model(model, x):
    """Check ``x`` against the model's input shape; accept one sample or flattened samples."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return x
    expected = tuple(inputs[0].shape[1:])
    if x.ndim == len(expected) and _matches(x.shape, expected):
        x = x[None]  # a single sample
    if x.ndim >= 1 and not _matches(x.shape[1:], expected):
        known = [d for d in expected if d is not None]
        if None not in expected and x.ndim == 2 and x.shape[1] == int(numpy.prod(known)):
            x = x.reshape((len(x), *expected))
        else:
            shape = ", ".join("None" if d is None else str(d) for d in expected)
            raise CommandError(
                f"Expected inputs of shape (n, {shape}) for this model. Received: {x.shape}"
            )
    return x.astype(numpy.float32)


def _matches(shape, expected):
    return len(shape) == len(expected) and all(e is None or s == e for s, e in
                                               zip(shape, expected))


def predict_command(args):
    model = _load(args.model)
    x = _fit_to_model(model, _read_npy(args.input).astype(numpy.float32) / args.scale)
    probabilities = numpy.asarray(model.predict(x, batch_size=args.batch_size, verbose=0))
    if probabilities.ndim == 2 and probabilities.shape[1] > 1:
        for label in probabilities.argmax(axis=1):
            print(int(label))
    else:
        for value in probabilities.reshape(len(probabilities), -1):
            print(" ".join(f"{v:.6g}" for v in value))
    if args.output:
        _save_npy(args.output, probabilities)
        print(f"Saved predictions of shape {probabilities.shape} to {args.output}",
              file=sys.stderr)
    return 0


def _save_npy(path, array):
    """``numpy.save`` to a temporary file, then ``os.replace`` (atomic)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.save(f, array, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


INFO_MAX_ROWS = 50
"""``profond info`` lists at most this many weight arrays (then says how many it left out)."""


def _shown(value, limit=NAME_LIMIT):
    """A value read from the file, safe to print: escaped control characters, bounded width."""
    return printable(value, limit)


def _field(mapping, key, default="?"):
    return mapping.get(key, default) if isinstance(mapping, dict) else default


def launch_command(args):
    """``profond launch -n 2 train.py``: ``mpiexec -n 2 python train.py`` with this Python (the
    venv's MPI first: the ``mpi`` extra installs the mpich wheels beside it)."""
    import subprocess

    from profond.distribute.mpi import find_mpiexec

    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise CommandError("profond launch needs MPI's mpiexec: pip install 'profond[mpi]' "
                           "(mpi4py and the mpich wheels)")
    command = [mpiexec, "-n", str(args.processes), sys.executable, args.script, *args.arguments]
    return subprocess.call(command)


def serve_command(args):
    """``profond serve m.profond``: TensorFlow Serving's REST API (``profond.serve``)."""
    from profond.serve import serve

    serve(args.model, host=args.host, port=args.port, name=args.name,
          max_batch_size=args.max_batch_size, max_body_bytes=args.max_body_bytes)


def export_command(args):
    """``profond export m.profond m.onnx``: the model in ONNX form (``profond.onnx.export``)."""
    from profond import onnx

    model = _load(args.model)
    onnx.export(model, args.output, verbose=False)
    print(f"Exported {_shown(args.model, MESSAGE_LIMIT)} to {_shown(args.output, MESSAGE_LIMIT)} "
          "(ONNX)")


def info_command(args):
    """What the file holds, without building the model, then the model's summary. Every string
    read from the file is shown escaped and bounded (``profond._text.printable``): a file from
    anyone cannot move the cursor, set the window title or print megabytes."""
    from profond import saving
    from profond.saving import keras_file

    if not os.path.isfile(args.model):
        raise CommandError(f"No such model file: {args.model}")
    if keras_file.is_keras_archive(args.model):
        return _keras_file_info(args.model)
    info = saving.read_file_info(args.model)
    meta = info["metadata"]
    path = _shown(args.model, MESSAGE_LIMIT)
    print(f"File:            {path} ({os.path.getsize(args.model):,} bytes)")
    print(f"Kind:            {_shown(_field(meta, 'kind'))} "
          f"(format version {_shown(_field(meta, 'format_version'))})")
    print(f"Saved:           {_shown(_field(meta, 'date_saved'))} with profond "
          f"{_shown(_field(meta, 'profond_version'))}, "
          f"NumPy {_shown(_field(meta, 'numpy_version'))}")
    parameters = sum(int(numpy.prod(shape)) for _, _, shape in info["weights"])
    print(f"Weights:         {len(info['weights'])} arrays, {parameters:,} numbers")
    if info["optimizer"]:
        print(f"Optimizer state: {len(info['optimizer'])} arrays")
    epoch = _field(info["training_state"], "epoch", None)
    if epoch is not None:
        print(f"Epochs done:     {_shown(epoch)}")
    config = info["config"]
    if config is None:
        print("Architecture:    not stored (a weights-only checkpoint)")
        for name, dtype, shape in info["weights"][:INFO_MAX_ROWS]:
            print(f"  {_shown(name)}  {_shown(dtype)} {_shown(shape)}")
        if len(info["weights"]) > INFO_MAX_ROWS:
            print(f"  … and {len(info['weights']) - INFO_MAX_ROWS:,} more")
        return 0
    compiled = _field(config, "compile_config", None) or {}
    if compiled:
        optimizer = _field(compiled, "optimizer", None)
        if isinstance(optimizer, dict):
            rate = _field(optimizer.get("config"), "learning_rate", None)
            optimizer = f"{_shown(optimizer.get('class_name'))} (learning_rate={_shown(rate)})"
        else:
            optimizer = _shown(optimizer)
        print(f"Compiled with:   optimizer={optimizer}, "
              f"loss={_shown(_field(compiled, 'loss', None), MESSAGE_LIMIT)}, "
              f"metrics={_shown(_field(compiled, 'metrics', None), MESSAGE_LIMIT)}")
    saving.load_model(args.model, compile=False).summary()
    return 0


def _keras_file_info(filepath):
    """``profond info`` for a Keras 3 ``.keras`` file (read by ``saving.keras_file``)."""
    from profond import saving
    from profond.saving import keras_file

    info = keras_file.read_keras_info(filepath)
    meta = info["metadata"]
    print(f"File:            {_shown(filepath, MESSAGE_LIMIT)} "
          f"({os.path.getsize(filepath):,} bytes)")
    print(f"Kind:            Keras 3 model file (saved by Keras "
          f"{_shown(_field(meta, 'keras_version'))} on {_shown(_field(meta, 'date_saved'))})")
    parameters = sum(int(numpy.prod(shape)) for _, _, shape in info["weights"])
    print(f"Weights:         {len(info['weights'])} arrays, {parameters:,} numbers")
    if info["optimizer"]:
        print(f"Optimizer state: {info['optimizer']} arrays")
    saving.load_model(filepath, compile=False).summary()
    return 0


def playground_command(args):
    from profond import playground

    extra = {}  # only what was asked for: serve()'s defaults stay the one source
    if args.token is not None:
        extra["token"] = args.token
    if args.allow_host:
        extra["allowed_hosts"] = tuple(args.allow_host)
    playground.serve(host=args.host, port=args.port, open_browser=not args.no_browser, **extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
