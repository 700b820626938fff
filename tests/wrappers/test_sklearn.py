"""profond models as scikit-learn estimators: check_estimator, Pipeline, GridSearchCV,
cross_val_score, clone, routed parameters, pickling."""

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

import profond as tf  # noqa: E402
from profond.wrappers import KerasClassifier, KerasRegressor  # noqa: E402

# The checks of scikit-learn's check_estimator that these wrappers fail on purpose, and why.
EXPECTED_FAILED_CHECKS = {
    "check_no_attributes_set_in_init":
        "routed parameters (optimizer__learning_rate=…) are SciKeras's interface: they are not "
        "in the signature, so they are attributes set by __init__ (get_params returns them)",
    "check_do_not_raise_errors_in_init_or_set_params":
        "the check passes `kwargs=-1` to set_params: **kwargs holds the routed parameters, and "
        "a parameter literally named 'kwargs' does not exist",
    "check_sample_weight_equivalence_on_dense_data":
        "training is stochastic gradient descent on shuffled mini-batches: a weight of 2 and a "
        "repeated sample give the same expected gradient, not the same weights after training",
    "check_methods_subset_invariance":
        "the model computes in float32, and BLAS sums a matrix product in an order that depends "
        "on the batch's size: predictions on a subset differ by ~1e-7 relative, the check's "
        "tolerance",
}


@pytest.mark.slow
@pytest.mark.parametrize("estimator", [
    KerasClassifier(epochs=3, hidden_layer_sizes=(16,), random_state=0,
                    optimizer__learning_rate=0.05),
    KerasRegressor(epochs=100, hidden_layer_sizes=(32,), random_state=0, optimizer="adam",
                   optimizer__learning_rate=0.01),
], ids=["classifier", "regressor"])
def test_check_estimator(estimator):
    results = check_estimator(estimator, on_fail=None,
                              expected_failed_checks=EXPECTED_FAILED_CHECKS)
    failed = [(r["check_name"], repr(r["exception"])[:300]) for r in results
              if r["status"] == "failed"]
    assert not failed
    assert sum(r["status"] == "passed" for r in results) >= 50


def build_mlp(meta, hidden=16, compile_kwargs=None):
    """A model function as SciKeras users write them: sizes from ``meta``, routed ``hidden``."""
    model = tf.keras.Sequential([
        tf.keras.Input((meta["n_features_in_"],)),
        tf.keras.layers.Dense(hidden, activation="relu"),
        tf.keras.layers.Dense(meta["n_classes_"], activation="softmax"),
    ])
    model.compile(**compile_kwargs)
    return model


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]  # string labels come back
    return x.astype("float32"), names


def test_pipeline_grid_search_and_cross_validation(iris):
    x, y = iris
    clf = KerasClassifier(build_mlp, model__hidden=8, epochs=40, batch_size=16, random_state=0,
                          optimizer="adam", optimizer__learning_rate=0.02,
                          loss="sparse_categorical_crossentropy")
    pipe = make_pipeline(StandardScaler(), clf)
    search = GridSearchCV(pipe, {"kerasclassifier__model__hidden": [4, 16]}, cv=3)
    search.fit(x, y)
    assert search.best_params_["kerasclassifier__model__hidden"] in (4, 16)
    assert search.best_score_ > 0.85
    assert set(search.predict(x[:10])) <= {"setosa", "versicolor", "virginica"}
    scores = cross_val_score(make_pipeline(StandardScaler(), clone(clf)), x, y, cv=3)
    assert scores.mean() > 0.85
    fitted = search.best_estimator_[-1]
    assert list(fitted.classes_) == ["setosa", "versicolor", "virginica"]
    assert fitted.model_.layers[0].units == search.best_params_["kerasclassifier__model__hidden"]
    proba = fitted.predict_proba(StandardScaler().fit(x).transform(x[:5]))
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)


def test_clone_routed_parameters_and_model_instance(iris):
    x, y = iris
    template = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3,
                                                                              "softmax")])
    clf = KerasClassifier(template, epochs=2, fit__shuffle=False, optimizer__learning_rate=0.1)
    copy = clone(clf)
    assert copy.get_params()["optimizer__learning_rate"] == 0.1
    assert copy.get_params()["fit__shuffle"] is False
    copy.set_params(optimizer__learning_rate=0.3)
    copy.fit(x, y)
    assert float(copy.model_.optimizer.learning_rate) == pytest.approx(0.3)
    assert copy.model_ is not template and template.optimizer is None  # cloned, not trained
    assert copy.history_["loss"] and len(copy.history_["loss"]) == 2
    with pytest.raises(ValueError, match=r"unexpected argument 'modle__units'"):
        KerasClassifier(modle__units=3).fit(x, y)


def test_warm_start_pickle_and_regressor_score():
    x, y = make_regression(200, 5, noise=1.0, random_state=0)
    y = (y / y.std()).astype("float32")
    reg = KerasRegressor(epochs=20, hidden_layer_sizes=(32,), optimizer="adam",
                         optimizer__learning_rate=0.01, random_state=0, warm_start=True)
    reg.fit(x, y)
    first = len(reg.history_["loss"])
    reg.fit(x, y)
    assert len(reg.history_["loss"]) == 2 * first  # the same model trained on
    assert reg.score(x, y) > 0.9
    again = pickle.loads(pickle.dumps(reg))
    np.testing.assert_allclose(again.predict(x[:7]), reg.predict(x[:7]), rtol=1e-6)
    assert reg.predict(x[:7]).dtype == np.float64
