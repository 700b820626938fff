"""``profond.wrappers``: profond models as scikit-learn estimators (SciKeras's interface), so they
work in ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and ``clone`` (needs the
``datasets`` extra: scikit-learn).

>>> from profond.wrappers import KerasClassifier                         # doctest: +SKIP
>>> clf = KerasClassifier(build_mlp, model__hidden=32, epochs=20)        # doctest: +SKIP
>>> GridSearchCV(clf, {"model__hidden": [16, 64]}, cv=3).fit(x, y)        # doctest: +SKIP
"""

from profond.wrappers.sklearn import KerasClassifier, KerasRegressor

__all__ = ["KerasClassifier", "KerasRegressor"]
