"""``BackupAndRestore``: survive a crash mid-training. ``RemoteMonitor``: refused (no network).

``BackupAndRestore(backup_dir)`` saves a checkpoint (weights, optimizer state, epoch, random
state: see ``profond.saving.checkpoint``) at the end of every epoch. When ``fit`` starts and a
backup exists (the previous run was interrupted), the model is restored from it and training goes
on from the epoch after the last one saved: the same call to ``fit``, run again, ends with exactly
the weights of a run that was never interrupted. When training ends normally the backup is
deleted (unless ``delete_checkpoint=False``).

>>> import profond as tf                                            # doctest: +SKIP
>>> backup = tf.keras.callbacks.BackupAndRestore("/tmp/backup")     # doctest: +SKIP
>>> model.fit(x, y, epochs=10, callbacks=[backup])  # crashes at epoch 4   # doctest: +SKIP
>>> model.fit(x, y, epochs=10, callbacks=[backup])  # goes on from epoch 4 # doctest: +SKIP
"""

import os
import shutil

from profond.callbacks.base import Callback

BACKUP = "latest.profond"
PREVIOUS = "previous.profond"


class BackupAndRestore(Callback):
    """Back up the training state regularly; restore it when ``fit`` starts again.

    Args:
        backup_dir: a directory only for this run's backups (deleted at the end of training
            when ``delete_checkpoint``).
        save_freq: ``"epoch"`` (at the end of each epoch), or an int N: every N batches too. A
            restore from a mid-epoch backup restarts that epoch from the saved weights (the
            backup holds no position in the data), so it is not bit-exact: only end-of-epoch
            backups resume exactly.
        double_checkpoint: keep the previous backup as well, and fall back to it when the
            latest one cannot be read (a crash while writing it).
        delete_checkpoint: delete ``backup_dir`` when training ends normally.
    """

    # In data-parallel training only rank 0 restores and writes the backup; the strategy then
    # sends its weights, optimizer state, random state and epoch to the other ranks.
    chief_only = True

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore: empty `backup_dir` argument passed. "
                             f"Received: backup_dir={backup_dir!r}")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError("BackupAndRestore: invalid value for argument `save_freq`. Expected "
                             f"'epoch' or an int > 0. Received: save_freq={save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, BACKUP)
        self._previous_path = os.path.join(self.backup_dir, PREVIOUS)
        self._current_epoch = 0
        self._batches_since_save = 0

    def on_train_begin(self, logs=None):
        from profond.saving.checkpoint import restore_checkpoint
        from profond.saving.model_file import FileFormatError

        self._batches_since_save = 0
        if not os.path.exists(self._path) and not os.path.exists(self._previous_path):
            return
        if not getattr(self.model, "built", False):
            raise ValueError("To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model {self.model.name} is unbuilt. "
                             "Build it beforehand by calling it on a batch of data.")
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and not getattr(optimizer, "built", True):
            optimizer.build(self.model.trainable_variables)
        try:
            epoch = restore_checkpoint(self.model, self._path)
        except (FileFormatError, OSError):
            if not (self.double_checkpoint and os.path.exists(self._previous_path)):
                raise
            epoch = restore_checkpoint(self.model, self._previous_path)
        self._current_epoch = epoch or 0
        # ``fit`` starts from ``model._initial_epoch`` when a callback sets it (as in Keras).
        self.model._initial_epoch = self._current_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(epochs_done=self._current_epoch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epochs_done=epoch + 1)

    def _save(self, epochs_done):
        from profond.saving.checkpoint import save_checkpoint

        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            os.replace(self._path, self._previous_path)
        save_checkpoint(self.model, self._path, epoch=epochs_done)  # atomic

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)


class RemoteMonitor(Callback):
    """Keras's callback that POSTs each epoch's logs to a server: not available in profond,
    which sends nothing over the network. The error says what to use instead."""

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        raise NotImplementedError(
            "RemoteMonitor: profond does not send training logs over the network. Log them "
            "with profond.callbacks.CSVLogger or TensorBoard, or post them yourself from a "
            f"LambdaCallback(on_epoch_end=...). Received: root={root!r}, path={path!r}"
        )
