"""Callbacks: hooks that ``fit``, ``evaluate`` and ``predict`` call at each stage (Keras's API).

``fit`` builds one ``CallbackList`` from the user's callbacks plus a ``History`` (and a progress bar
when ``verbose``) and calls, in order: ``on_train_begin``, then per epoch ``on_epoch_begin``,
``on_train_batch_begin/end`` for each batch, ``on_epoch_end`` (``logs`` holding the epoch's loss,
metrics and ``val_`` ones), and finally ``on_train_end``. A callback can stop training by setting
``self.model.stop_training = True``.
"""


class Callback:
    """Base class: override the hooks you need; fit sets ``self.model`` and ``self.params``."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):  # Keras: the old names are aliases
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


class History(Callback):
    """Records every epoch's logs: ``history.history["loss"]`` is the list of epoch losses."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class CallbackList(Callback):
    """Forwards each hook to every callback in order."""

    def __init__(self, callbacks=None, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)

    def set_model(self, model):
        self.model = model
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params):
        self.params = params
        for c in self.callbacks:
            c.set_params(params)


def _forward(name):
    """``CallbackList.<name>``: call each callback's hook with the same ``logs`` dict (``{}``
    when none is given, as Keras passes), so one callback can add a value for the next ones."""
    takes_index = "batch" in name or "epoch" in name

    def hook(self, *args, logs=None):
        if len(args) > takes_index:
            args, logs = args[:takes_index], args[takes_index]
        logs = {} if logs is None else logs
        for c in self.callbacks:
            getattr(c, name)(*args, logs)

    hook.__name__ = name
    return hook


for _name in [n for n in vars(Callback) if n.startswith("on_")]:
    setattr(CallbackList, _name, _forward(_name))
