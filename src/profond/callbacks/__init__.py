"""Callbacks for ``fit``: History, EarlyStopping, ModelCheckpoint, schedulers, loggers, progress."""

from profond.callbacks.base import Callback, CallbackList, History
