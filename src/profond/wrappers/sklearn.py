"""``KerasClassifier`` and ``KerasRegressor``: a profond model behind scikit-learn's estimator API,
with SciKeras's arguments.

``model`` is a ``Model`` (cloned at each ``fit``, never changed) or a function that builds one.
The function receives, by the names in its signature: the routed parameters ``model__NAME``
(as ``NAME``), ``meta`` (what ``fit`` learned from the data: ``n_features_in_``,
``n_outputs_expected_``, ``n_classes_``, ``classes_``, ``target_type_``) and ``compile_kwargs``
(the optimizer, loss and metrics below). A model it returns uncompiled is compiled with
``optimizer`` (a name, a class or an instance; ``optimizer__NAME`` sets its arguments), ``loss``
(for a classifier by default: sparse categorical cross-entropy, binary cross-entropy for a single
sigmoid output; for a regressor: mean squared error) and ``metrics``. ``fit__NAME`` and
``predict__NAME`` are passed to ``Model.fit`` / ``Model.predict``. Without a ``model``, a
one-hidden-layer MLP (``hidden_layer_sizes=(100,)``, ReLU) is built, as scikit-learn's
``MLPClassifier`` would.

The fitted estimator has ``model_`` (the trained profond model), ``history_`` (the lists of
``History.history``, extended by each ``warm_start`` fit), ``n_features_in_`` (and
``feature_names_in_`` for a DataFrame), and for a classifier ``classes_`` and ``n_classes_``:
labels of any type are encoded as 0 … n_classes − 1 and decoded by ``predict``.
"""

import inspect
import os
import tempfile

import numpy
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from profond import losses, optimizers
from profond.layers import Dense, Input
from profond.models import Model, Sequential
from profond.random import set_seed
from profond.saving import load_model
from profond.saving.model_config import clone_model

_ROUTES = ("model__", "fit__", "predict__", "optimizer__", "compile__")


class _Wrapper(BaseEstimator):
    """The body shared by the classifier and the regressor."""

    def __init__(self, model=None, *, optimizer="rmsprop", loss=None, metrics=None,
                 batch_size=None, epochs=1, verbose=0, callbacks=None, validation_split=0.0,
                 shuffle=True, random_state=None, warm_start=False, hidden_layer_sizes=(100,),
                 **kwargs):
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.batch_size = batch_size
        self.epochs = epochs
        self.verbose = verbose
        self.callbacks = callbacks
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.hidden_layer_sizes = hidden_layer_sizes
        # NOTE: routed parameters (``model__units=32``) are attributes too, so that get_params,
        # set_params and clone see them (SciKeras's interface); they are checked in ``fit``.
        vars(self).update(kwargs)

    # --- scikit-learn's parameter protocol, with the routed parameters -----------------------
    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update({k: v for k, v in vars(self).items() if k.startswith(_ROUTES)})
        return params

    def set_params(self, **params):
        routed = {k: v for k, v in params.items() if k.startswith(_ROUTES)}
        vars(self).update(routed)
        return super().set_params(**{k: v for k, v in params.items() if k not in routed})

    def _check_params(self):
        extra = [k for k in vars(self) if "__" in k and not k.startswith(_ROUTES)]
        if extra:
            raise ValueError(f"{type(self).__name__}: unexpected argument {extra[0]!r}. Expected "
                             "the arguments of the signature, or routed ones starting with "
                             f"{', '.join(_ROUTES)} (e.g. model__units=32)")

    def _routed(self, prefix):
        return {k[len(prefix):]: v for k, v in vars(self).items() if k.startswith(prefix)}

    # --- building the model --------------------------------------------------------------------
    def _compile_kwargs(self):
        optimizer = self.optimizer
        settings = self._routed("optimizer__")
        if isinstance(optimizer, str):
            optimizer = optimizers.get(optimizer).from_config(
                {**optimizers.get(optimizer).get_config(), **settings})
        elif isinstance(optimizer, type):
            optimizer = optimizer(**settings)
        return {"optimizer": optimizer, "loss": self.loss or self._default_loss(),
                "metrics": self.metrics, **self._routed("compile__")}

    def _build(self, meta):
        compile_kwargs = self._compile_kwargs()
        if self.model is None:
            model = self._default_model(meta)
        elif isinstance(self.model, Model):
            model = clone_model(self.model)
        elif callable(self.model):
            wanted = inspect.signature(self.model).parameters
            given = {"meta": meta, "compile_kwargs": compile_kwargs, **self._routed("model__")}
            takes_all = any(p.kind is p.VAR_KEYWORD for p in wanted.values())
            model = self.model(**{k: v for k, v in given.items() if takes_all or k in wanted})
        else:
            raise TypeError(f"{type(self).__name__}: Expected model to be a profond Model, a "
                            "function that builds one, or None. Received: "
                            f"{type(self.model).__name__}")
        if not isinstance(model, Model):
            raise TypeError(f"{type(self).__name__}: the model function must return a profond "
                            f"Model. Received: {type(model).__name__}")
        if getattr(model, "optimizer", None) is None:
            model.compile(**compile_kwargs)
        return model

    def _default_model(self, meta):
        layers = [Input((meta["n_features_in_"],))]
        layers += [Dense(units, activation="relu") for units in self.hidden_layer_sizes]
        layers.append(self._output_layer(meta))
        return Sequential(layers)

    # --- fit / predict -------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build (or, with ``warm_start``, keep) the model and train it for ``epochs``."""
        self._check_params()
        warm = self.warm_start and hasattr(self, "model_")
        X, y = validate_data(self, X, y, dtype="float32", reset=not warm, multi_output=True,
                             y_numeric=isinstance(self, RegressorMixin))
        target = self._encode_targets(y, keep_classes=warm)
        meta = self._meta()
        if self.random_state is not None:
            set_seed(int(numpy.random.RandomState(self.random_state).randint(2**31 - 1))
                     if not isinstance(self.random_state, int) else self.random_state)
        if not warm:
            self.model_ = self._build(meta)
            self.history_ = {}
        fit_kwargs = {"batch_size": self.batch_size, "epochs": self.epochs,
                      "verbose": self.verbose, "callbacks": self.callbacks,
                      "validation_split": self.validation_split, "shuffle": self.shuffle,
                      **self._routed("fit__"), **kwargs}
        if sample_weight is not None:
            sample_weight = numpy.asarray(sample_weight, dtype="float32")
            if sample_weight.shape != (len(X),) or not (sample_weight >= 0).all() \
                    or not sample_weight.any():
                raise ValueError(f"{type(self).__name__}: Expected sample_weight to be "
                                 f"{len(X)} non-negative numbers, not all zero. Received: shape "
                                 f"{sample_weight.shape}, sum {float(sample_weight.sum()):g}")
            fit_kwargs["sample_weight"] = sample_weight
        history = self.model_.fit(X, target, **fit_kwargs)
        for key, values in history.history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        return self

    def _partial_fit(self, X, y, sample_weight=None):
        previous = (self.warm_start, self.epochs)
        self.warm_start, self.epochs = True, 1
        try:
            return self.fit(X, y, sample_weight=sample_weight)
        finally:
            self.warm_start, self.epochs = previous

    def _outputs(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype="float32", reset=False)
        settings = {"batch_size": self.batch_size or 256, "verbose": 0,
                    **self._routed("predict__")}
        # scikit-learn's convention: float64 outputs, whatever the model computes in.
        return numpy.asarray(self.model_.predict(X, **settings), dtype=numpy.float64)

    # --- pickling (joblib's n_jobs, copies): the model travels as a profond model file --------
    def __getstate__(self):
        state = dict(vars(self))
        if "model_" in state:
            state["model_"] = _model_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state["model_"] = _model_from_bytes(state["model_"])
        vars(self).update(state)


class KerasClassifier(ClassifierMixin, _Wrapper):
    """A profond classifier for scikit-learn: ``predict`` gives labels, ``predict_proba``
    probabilities (n_samples, n_classes), ``score`` the accuracy."""

    def _default_loss(self):
        return "sparse_categorical_crossentropy"

    def _output_layer(self, meta):
        return Dense(meta["n_classes_"], activation="softmax")

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One more epoch on (X, y), keeping the model; ``classes`` (all the labels) is needed
        at the first call when a batch may not show every class."""
        if classes is not None and not hasattr(self, "model_"):
            self._given_classes = numpy.unique(classes)
        return self._partial_fit(X, y, sample_weight)

    def _encode_targets(self, y, keep_classes=False):
        check_classification_targets(y)
        y = column_or_1d(y, warn=True)
        if keep_classes or getattr(self, "_given_classes", None) is not None:
            classes = self.classes_ if keep_classes else self._given_classes
            unseen = numpy.setdiff1d(numpy.unique(y), classes)
            if unseen.size:
                raise ValueError(f"KerasClassifier: y has labels not seen in the first fit: "
                                 f"{unseen[:5].tolist()}. Expected labels among "
                                 f"{classes[:20].tolist()}")
            self.classes_ = classes
            encoded = numpy.searchsorted(classes, y)
        else:
            self.classes_, encoded = numpy.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("KerasClassifier: Expected at least 2 classes in y (a classifier "
                             f"cannot learn from one class). Received: classes "
                             f"{self.classes_.tolist()}")
        self.target_type_ = type_of_target(y)
        self.n_classes_ = len(self.classes_)
        self.n_outputs_expected_ = 1
        return encoded.astype("int64")

    def _meta(self):
        return {"n_features_in_": self.n_features_in_, "n_classes_": self.n_classes_,
                "classes_": self.classes_, "target_type_": self.target_type_,
                "n_outputs_expected_": 1}

    def _build(self, meta):
        model = super()._build(meta)
        if self.loss is None and model.outputs and model.outputs[0].shape[-1] == 1:
            # NOTE: a single sigmoid unit: the 0/1 labels go with binary cross-entropy.
            model.compile(**{**self._compile_kwargs(), "loss": losses.get("binary_crossentropy")})
        return model

    def predict_proba(self, X):
        out = self._outputs(X)
        if out.ndim == 1 or out.shape[1] == 1:
            p = out.reshape(-1)
            return numpy.stack([1 - p, p], axis=1)
        return out

    def predict(self, X):
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(axis=1)]


class KerasRegressor(RegressorMixin, _Wrapper):
    """A profond regressor for scikit-learn: ``predict`` gives (n_samples,) values (or
    (n_samples, n_outputs)), ``score`` the R² coefficient."""

    def _default_loss(self):
        return "mean_squared_error"

    def _output_layer(self, meta):
        return Dense(meta["n_outputs_expected_"])

    def partial_fit(self, X, y, sample_weight=None):
        """One more epoch on (X, y), keeping the model."""
        return self._partial_fit(X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _encode_targets(self, y, keep_classes=False):
        y = numpy.asarray(y, dtype="float32")
        self._y_ndim = y.ndim
        self.n_outputs_expected_ = 1 if y.ndim == 1 else y.shape[1]
        self.target_type_ = "continuous" if y.ndim == 1 else "continuous-multioutput"
        return y

    def _meta(self):
        return {"n_features_in_": self.n_features_in_, "target_type_": self.target_type_,
                "n_outputs_expected_": self.n_outputs_expected_}

    def predict(self, X):
        out = self._outputs(X)
        return out.reshape(-1) if self._y_ndim == 1 else out


def _model_bytes(model):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.profond")
        model.save(path)
        with open(path, "rb") as file:
            return file.read()


def _model_from_bytes(data):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.profond")
        with open(path, "wb") as file:
            file.write(data)
        return load_model(path)

