"""``SwapEMAWeights``: evaluate (and checkpoint) with the optimizer's moving averages.

With ``use_ema=True`` the optimizer keeps W̄ ← μ W̄ + (1 − μ) W after every step (Polyak
averaging); training goes on with W, and ``fit`` gives the model W̄ only when it ends. This
callback puts W̄ into the model while ``evaluate`` (the validation of ``fit`` too) and
``predict`` run, and puts W back afterwards: the validation metrics are those of the averaged
weights. With ``swap_on_epoch=True`` the model also holds W̄ between epochs, so that the
callbacks after this one (``ModelCheckpoint``) see the averaged weights.
"""

from profond.callbacks.base import Callback


class SwapEMAWeights(Callback):
    """Swap the model's weights with the optimizer's moving averages around evaluation.

    >>> import numpy as np, profond as pf
    >>> model = pf.keras.Sequential([pf.keras.Input((2,)), pf.keras.layers.Dense(1)])
    >>> model.compile(optimizer=pf.keras.optimizers.SGD(0.1, use_ema=True), loss="mse")
    >>> x, y = np.ones((8, 2)), np.ones((8, 1))
    >>> _ = model.fit(x, y, validation_data=(x, y), callbacks=[SwapEMAWeights()], verbose=0)
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        if not isinstance(swap_on_epoch, bool):
            raise TypeError("SwapEMAWeights expects swap_on_epoch to be a bool. Received: "
                            f"swap_on_epoch={swap_on_epoch!r}")
        self.swap_on_epoch = swap_on_epoch
        self._averages_in_model = False

    def _optimizer(self):
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's
        if not getattr(optimizer, "use_ema", False):
            raise ValueError("SwapEMAWeights must be used with an optimizer that has "
                             "`use_ema=True`. Received: optimizer="
                             f"{type(optimizer).__name__ if optimizer else None} with use_ema="
                             f"{getattr(optimizer, 'use_ema', None)}")
        return optimizer

    def _swap(self, into_model):
        """W ↔ W̄ for every variable, in place (no step taken yet: nothing to swap)."""
        if into_model == self._averages_in_model:
            return
        self._optimizer().swap_averages()
        self._averages_in_model = into_model

    def on_train_begin(self, logs=None):
        self._optimizer()  # the error at once, not after the first epoch

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap(into_model=False)

    def on_epoch_end(self, epoch, logs=None):
        if not self.swap_on_epoch:
            return
        if epoch == self.params.get("epochs", 0) - 1:
            # fit ends by giving the model the averages: model and averages both hold W̄
            self._swap(into_model=False)
            self._optimizer().finalize_variable_values(self.model.trainable_variables)
        else:
            self._swap(into_model=True)

    def on_test_begin(self, logs=None):
        self._swap(into_model=True)

    def on_test_end(self, logs=None):
        self._swap(into_model=False)

    def on_predict_begin(self, logs=None):
        self._swap(into_model=True)

    def on_predict_end(self, logs=None):
        self._swap(into_model=False)
