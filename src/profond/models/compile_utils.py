"""What ``compile(loss=…, metrics=…)`` becomes: one loss J and the metrics, for every output.

A model with outputs k = 1 … K (named by ``output_names``) is trained on the weighted sum

    J = Σₖ λₖ Lₖ(yₖ, ŷₖ)      (λₖ from ``loss_weights``, 1 by default),

each Lₖ averaged over the batch with the sample weights. The losses and metrics can be given

* once (applied to every output),
* as a list with one entry per output, in the order of ``output_names``,
* as a dict keyed by output name (a key that names no output is an error).

The logs name things as Keras 3 does: a single-output model reports ``loss`` and each metric
by its name (``accuracy``); a multi-output model also reports each output's unweighted loss
``<output>_loss`` and its metrics as ``<output>_<metric>``. A weighted metric whose name is
already taken by an unweighted one is reported as ``weighted_<name>``.
"""

from profond import losses as losses_lib
from profond import metrics as metrics_lib
from profond.autodiff.mode import no_grad
from profond.autodiff.tensor import Tensor
from profond.layers.base import _flatten


def output_names(model, y_pred=None):
    """The model's output names, in Keras 3's order (a dict of outputs: sorted keys); from the
    structure of ``y_pred`` when the model does not know them (subclassed models)."""
    names = getattr(model, "output_names", None)
    if names:
        return list(names)
    struct = getattr(model, "_outputs_struct", None)
    if isinstance(struct, dict):
        return sorted(struct)
    outputs = getattr(model, "outputs", None)
    if outputs:
        return [t._node.layer.name for t in outputs]
    if isinstance(y_pred, dict):
        return sorted(y_pred)
    if isinstance(y_pred, (list, tuple)):
        return [f"output_{i + 1}" for i in range(len(y_pred))]
    return ["output_1"]


def _check_keys(given, names, argument):
    for key in given:
        if key not in names:
            raise ValueError(f"The key {key!r} in `{argument}` matches no output of the model. "
                             f"Expected keys among the output names: {names}")


def flatten_outputs(value, names, argument, broadcast=False):
    """One entry per output, in ``names`` order, from a dict, a list or a single value (given
    to every output when ``broadcast``)."""
    if isinstance(value, dict):
        _check_keys(value, names, argument)
        return [value.get(n) for n in names]  # an output left out gets None
    if isinstance(value, (list, tuple)):
        if len(names) == 1:
            return list(value) if len(value) == 1 else [value]
        if len(value) != len(names):
            raise ValueError(f"`{argument}` has {len(value)} entries but the model has "
                             f"{len(names)} outputs {names}.")
        return list(value)
    if len(names) == 1 or broadcast or value is None:
        return [value] * len(names)
    raise ValueError(f"`{argument}` must be a list or a dict with one entry per output "
                     f"{names}. Received: a value of type {type(value).__name__}")


def _resolve(spec, get):
    """``get`` applied to every leaf of a loss given once, as a list or as a dict."""
    if isinstance(spec, dict):
        return {k: _resolve(v, get) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_resolve(v, get) for v in spec]
    return None if spec is None else get(spec)


class CompileLoss:
    """J = Σₖ λₖ Lₖ(yₖ, ŷₖ) over the outputs; keeps a ``<output>_loss`` tracker per output when
    there are several."""

    def __init__(self, loss, loss_weights=None, names_fn=None):
        self.loss = _resolve(loss, losses_lib.get)  # unknown names fail here, at compile
        self.names_fn = names_fn or (lambda y_pred: output_names(None, y_pred))
        self.loss_weights = loss_weights
        self.built = False
        self.names = None
        self.fns = None
        self.weights = None
        self.trackers = []

    def build(self, names):
        self.names = names
        self.fns = flatten_outputs(self.loss, names, "loss", broadcast=True)
        if self.loss_weights is None:
            self.weights = [1.0] * len(names)
        elif isinstance(self.loss_weights, (int, float)):
            self.weights = [float(self.loss_weights)] * len(names)
        else:
            self.weights = [1.0 if w is None else float(w) for w in
                            flatten_outputs(self.loss_weights, names, "loss_weights",
                                            broadcast=True)]
        if len(names) > 1:
            self.trackers = [metrics_lib.Mean(name=f"{n}_loss") for n in names]
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The total loss (a scalar Tensor), or None when no output has a loss."""
        if not self.built:
            self.build(self.names_fn(y_pred))
        preds = flatten_outputs(y_pred, self.names, "y_pred")
        trues = flatten_outputs(y_true, self.names, "y")
        weights = flatten_outputs(sample_weight, self.names, "sample_weight", broadcast=True)
        total = None
        for k, (fn, lam) in enumerate(zip(self.fns, self.weights)):
            if fn is None:
                continue
            if trues[k] is None:
                raise ValueError(f"No target for the output {self.names[k]!r}, which has a "
                                 f"loss. Expected targets for: {self.names}")
            term = fn(trues[k], preds[k], sample_weight=weights[k])
            if self.trackers:
                batch = _flatten(trues[k])[0]
                n = batch.shape[0] if getattr(batch, "ndim", 0) else 1
                self.trackers[k].update_state(term.data, sample_weight=n)
            if lam != 1.0:
                term = term * lam
            total = term if total is None else total + term
        return total


class CompileMetrics(metrics_lib.Metric):
    """The compiled metrics of every output, updated and reported together (Keras 3's
    ``compile_metrics`` entry of ``model.metrics``); ``result()`` is a dict of their values.

    ``metrics`` are updated without the sample weights, ``weighted_metrics`` with them.
    """

    def __init__(self, metrics, weighted_metrics, loss=None, names_fn=None,
                 name="compile_metrics"):
        super().__init__(name=name)
        self.names_fn = names_fn or (lambda y_pred: output_names(None, y_pred))
        self.metrics_spec = metrics
        self.weighted_spec = weighted_metrics
        self.loss = loss
        self.built = False
        self.names = None
        self.entries = []  # (reported name, metric, output index, weighted)

    def __bool__(self):
        return bool(self.metrics_spec or self.weighted_spec)

    def _per_output(self, spec, names, argument):
        if not spec:
            return [[] for _ in names]
        if isinstance(spec, (str, metrics_lib.Metric)) or callable(spec) and \
                not isinstance(spec, (list, tuple, dict)):
            spec = [spec]
        if len(names) == 1:
            if isinstance(spec, dict):
                _check_keys(spec, names, argument)
                spec = next(iter(spec.values()))
            return [list(spec) if isinstance(spec, (list, tuple)) else [spec]]
        per = flatten_outputs(spec, names, argument)
        return [[] if s is None else list(s) if isinstance(s, (list, tuple)) else [s]
                for s in per]

    def build(self, names):
        self.names = names
        losses = flatten_outputs(self.loss, names, "loss", broadcast=True)
        taken = set()
        for weighted, spec, argument in ((False, self.metrics_spec, "metrics"),
                                         (True, self.weighted_spec, "weighted_metrics")):
            for k, group in enumerate(self._per_output(spec, names, argument)):
                for m in group:
                    metric = metrics_lib.get(m, loss=losses[k])
                    label = metric.name if len(names) == 1 else f"{names[k]}_{metric.name}"
                    if weighted and label in taken:
                        label = f"weighted_{label}" if len(names) == 1 else \
                            f"{names[k]}_weighted_{metric.name}"
                    taken.add(label)
                    self.entries.append((label, metric, k, weighted))
        self.built = True

    @property
    def metrics(self):
        return [m for _, m, _, _ in self.entries]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(self.names_fn(y_pred))
        trues = flatten_outputs(y_true, self.names, "y")
        preds = flatten_outputs(y_pred, self.names, "y_pred")
        with no_grad():
            for _, metric, k, weighted in self.entries:
                if trues[k] is None:
                    continue
                metric.update_state(trues[k], preds[k],
                                    sample_weight=sample_weight if weighted else None)

    def result(self):
        """``{reported name: value}``; a metric whose result is a dict adds its entries."""
        out = {}
        for label, metric, _, _ in self.entries:
            value = metric.result()
            if isinstance(value, dict):
                out.update(value)
            else:
                out[label] = value
        return out

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()


def scalar(value, name):
    """A metric value as a Python float; a clear error for anything that is not one number."""
    if isinstance(value, Tensor):
        value = value.data
    size = getattr(value, "size", 1)
    if size != 1:
        raise ValueError(f"The result of the metric {name!r} must be a scalar (or a dict of "
                         "scalars). Received: a value of shape "
                         f"{tuple(getattr(value, 'shape', ()))}")
    return float(value.reshape(()) if hasattr(value, "reshape") else value)
