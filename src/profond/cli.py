"""The ``profond`` command: train, evaluate, inspect and use models from a terminal.

    profond train --dataset digits --epochs 10 --hidden 128,64 --output mlp.profond
    profond evaluate mlp.profond --dataset digits
    profond predict mlp.profond --input images.npy --scale 16 --output probabilities.npy
    profond info mlp.profond

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

# What pixel value means "white" in each data set: inputs are divided by it.
DATASETS = {"digits": 16.0, "mnist": 255.0, "fashion_mnist": 255.0}
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
MAX_INPUT_BYTES = 4 * 2**30  # the largest .npy file ``predict`` reads


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

    playground = commands.add_parser("playground",
                                     help="train small networks live in the browser")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default: 127.0.0.1, this machine only)")
    playground.add_argument("--port", type=_positive_int, default=8000)
    playground.add_argument("--no-browser", action="store_true",
                            help="do not open a browser tab")
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
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror}: {error.filename}"
    if isinstance(error, (CommandError, ValueError, OSError)):
        return str(error)
    return f"{type(error).__name__}: {error}"


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
    print(" - ".join(f"{name}: {value:.4f}" for name, value in results.items()))
    return 0


def _read_npy(path):
    """A numeric array from a ``.npy`` file: no pickled objects, a bounded size."""
    if not os.path.isfile(path):
        raise CommandError(f"No such input file: {path}")
    size = os.path.getsize(path)
    if size > MAX_INPUT_BYTES:
        raise CommandError(f"{path} is {size} bytes, more than the {MAX_INPUT_BYTES} allowed.")
    try:
        array = numpy.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise CommandError(f"Could not read {path} as a .npy array: {error}") from None
    if not isinstance(array, numpy.ndarray):  # an .npz archive
        array.close()
        raise CommandError(f"Expected one array in a .npy file. Received: an .npz archive {path}")
    if array.dtype.kind not in "biuf":
        raise CommandError(f"Expected numbers in {path}. Received: dtype {array.dtype}")
    return array


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


def info_command(args):
    from profond import saving

    if not os.path.isfile(args.model):
        raise CommandError(f"No such model file: {args.model}")
    info = saving.read_file_info(args.model)
    meta = info["metadata"]
    print(f"File:            {args.model} ({os.path.getsize(args.model):,} bytes)")
    print(f"Kind:            {meta.get('kind', '?')} (format version {meta['format_version']})")
    print(f"Saved:           {meta.get('date_saved', '?')} with profond "
          f"{meta.get('profond_version', '?')}, NumPy {meta.get('numpy_version', '?')}")
    parameters = sum(int(numpy.prod(shape)) for _, _, shape in info["weights"])
    print(f"Weights:         {len(info['weights'])} arrays, {parameters:,} numbers")
    if info["optimizer"]:
        print(f"Optimizer state: {len(info['optimizer'])} arrays")
    if info["training_state"] and info["training_state"].get("epoch") is not None:
        print(f"Epochs done:     {info['training_state']['epoch']}")
    config = info["config"]
    if config is None:
        print("Architecture:    not stored (a weights-only checkpoint)")
        for name, dtype, shape in info["weights"]:
            print(f"  {name}  {dtype} {shape}")
        return 0
    compiled = config.get("compile_config") or {}
    if compiled:
        optimizer = compiled.get("optimizer")
        if isinstance(optimizer, dict):
            rate = (optimizer.get("config") or {}).get("learning_rate")
            optimizer = f"{optimizer.get('class_name')} (learning_rate={rate})"
        print(f"Compiled with:   optimizer={optimizer}, loss={compiled.get('loss')}, "
              f"metrics={compiled.get('metrics')}")
    saving.load_model(args.model, compile=False).summary()
    return 0


def playground_command(args):
    from profond import playground

    playground.serve(host=args.host, port=args.port, open_browser=not args.no_browser)
    return 0


if __name__ == "__main__":
    sys.exit(main())
