"""Callbacks for ``fit``: History, EarlyStopping, ModelCheckpoint, schedulers, loggers, progress,
SwapEMAWeights."""

from profond.callbacks.averaging import SwapEMAWeights
from profond.callbacks.backup import BackupAndRestore, RemoteMonitor
from profond.callbacks.base import Callback, CallbackList, History
from profond.callbacks.builtin import (
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from profond.callbacks.progbar import Progbar, ProgbarLogger
from profond.callbacks.tensorboard import TensorBoard
