"""Data-parallel training over MPI processes (``mpirun -n 4 python train.py``), through mpi4py.

Each process (a *rank*) holds a full copy of the model. At the start of ``fit`` rank 0's weights
and random state are sent to all; then every global batch is split in N slices, one per rank;
each rank computes the gradient of its slice, and the optimizer applies the average

    g = Σ_r n_r g_r / Σ_r n_r          (n_r: the rows of rank r's slice, g_r: its mean gradient)

computed by one all-reduce of all gradients packed in a single buffer. Every rank makes the
same step, so the weights stay equal — and equal, up to rounding, to one process training on
the whole global batch. At the end of an epoch the metrics' totals and counts are summed over
the ranks, so ``History`` holds the metrics of the whole data. Only rank 0 shows the progress
bar and runs the callbacks that write files (``chief_only``: checkpoints, CSV, TensorBoard).

The rule for batches: ``batch_size`` is the global batch and need not be divisible by N. A
batch of n rows gives each rank ⌊n/N⌋ or ⌈n/N⌉ of them (the first n mod N ranks one more), and
the gradients are weighted by rows, so the step is that of one process on the n rows. The first
batch of an epoch (``batch_size``, or the whole data when smaller) must have at least N rows: a
``ValueError`` names both numbers otherwise. Only a last, smaller batch may have fewer rows than
ranks; a rank left without a row then computes on a copy of one, weighted 0 in the gradients
and in the statistics of synchronized batch normalization, and its metrics are put back as
they were before that step.

BatchNormalization's statistics are those of each rank's slice, unless the layer is made with
``synchronized=True``: then μ and σ² are those of the global batch (sums all-reduced over the
ranks, in the backward pass too), and N ranks train exactly like one process.

The model must be built before ``fit`` (an ``Input``, or ``model.build``), so that rank 0's
weights can be sent; a model whose variables differ in number or shape between ranks is an
error naming the first differing variable and the ranks.

Resuming: ``BackupAndRestore`` and ``ModelCheckpoint`` files are written by rank 0 alone,
atomically (a temporary file, then ``os.replace``: a rank that fails mid-write leaves the
previous file whole). A backup holds the weights, the optimizer's state, the epoch and the
random state, none of which depends on the number of ranks: training stopped after epoch k on
N ranks and resumed on M ranks with the same ``batch_size`` sees the same global batches and
ends, up to rounding, with the weights of an uninterrupted run.

In a custom loop, ``strategy.run(step, args)`` calls ``step`` on each rank's slice; inside it,
``apply_gradients`` *sums* the gradients over the ranks, as TensorFlow does: scale the loss by
the global batch size (``tf.nn.compute_average_loss(per_example, global_batch_size=…)``).

An uncaught error on any rank prints its traceback and stops every rank (``MPI_Abort``), so a
failure never leaves the others waiting; checkpoints are written by rank 0 only, atomically.

MPI comes from the ``mpi`` extra (``mpi4py`` and the ``mpich`` wheels): ``profond launch -n 2
train.py`` runs ``mpiexec -n 2 python train.py``. When one rank fails, MPI stops the others.
"""

import os
import shutil
import sys
import time

import numpy

from profond import random
from profond.backend import replicas
from profond.distribute.strategy import ReduceOp, Strategy, _reduce_op
from profond.layers.base import _flatten, _map
from profond.metrics import replica_state, set_replica_state


def _world():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            "MultiWorkerMirroredStrategy needs MPI: pip install 'profond[mpi]' (mpi4py and the "
            "mpich wheels), then run the script with `profond launch -n 2 train.py` or "
            f"`mpiexec -n 2 python train.py`. ({error})") from None
    return MPI, MPI.COMM_WORLD


def find_mpiexec():
    """MPI's ``mpiexec``: the one beside this Python first (the ``mpi`` extra installs the mpich
    wheels into the environment), else the first on ``PATH``; None when there is none."""
    here = os.path.dirname(sys.executable)
    return shutil.which("mpiexec", path=here) or shutil.which("mpiexec")


def abort_every_rank(comm, what):
    """After a rank's traceback: say so on stderr and stop every rank (MPI_Abort), rather than
    leave the others waiting forever in their next collective call."""
    sys.stderr.write(f"profond: {what}: stopping every rank (MPI_Abort)\n")
    sys.stderr.flush()
    # NOTE: mpirun forwards each rank's output from a pipe, and MPI_Abort kills it at once: what
    # it had not yet forwarded (the traceback's last line, seen in CI) was lost. A pause on this
    # crash path lets it forward everything first.
    time.sleep(1.0)
    comm.Abort(1)


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous data parallelism over the MPI processes of ``mpiexec`` (one replica each).

    Made once at the start of the program, it becomes the process group of every training in
    the process (``profond.backend.replicas``); ``scope()`` works as in TensorFlow.
    """

    def __init__(self, cluster_resolver=None, communication_options=None):
        self._mpi, self.comm = _world()
        super().__init__(devices=("/CPU:0",))
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.num_replicas_in_sync = self.size
        self.is_chief = self.rank == 0
        self._weight = 1.0  # n_r · N_ranks / n for this rank's current slice (fit)
        self._summing = False  # inside run(): gradients are summed, as in TensorFlow
        self._first_batch = True  # the next batch must have a row per rank (see shard)
        self._model = None  # the model being trained (start_training)
        self._dummy = None  # metric states to put back after a step on a copied row
        replicas.install(self)
        self._abort_on_error()

    def _abort_on_error(self):
        """An uncaught error on one rank stops every rank (MPI_Abort), after its traceback:
        otherwise the others would wait for it forever in their next all-reduce."""
        previous = sys.excepthook

        def hook(kind, value, traceback):
            previous(kind, value, traceback)
            abort_every_rank(self.comm, f"rank {self.rank} of {self.size} failed")

        sys.excepthook = hook

    def __repr__(self):
        return f"<MultiWorkerMirroredStrategy rank {self.rank} of {self.size} (MPI)>"

    # --- what fit and the optimizer call (profond.backend.replicas) -----------------------------
    def local_display(self, verbose, callbacks):
        """Rank 0 shows everything; the others are silent and skip the file-writing
        callbacks."""
        if self.is_chief:
            return verbose, callbacks
        return 0, [c for c in callbacks or [] if not getattr(c, "chief_only", False)]

    def start_training(self, model):
        """Before the first epoch, after the callbacks' ``on_train_begin`` (so after rank 0 has
        restored a backup): the same model on every rank, then rank 0's weights, optimizer
        state, random stream and first epoch for all.

        The model must be built (its variables exist) so that rank 0's weights can be sent. A
        model whose variables differ between ranks in number, shape or dtype is an error naming
        the first variable that differs and the two ranks; weights that merely differ are not
        (rank 0's are sent to all)."""
        if not getattr(model, "built", True):
            raise ValueError(
                "MultiWorkerMirroredStrategy: Expected a built model before fit, so that rank "
                "0's weights can be sent to every rank: give it an Input, or call "
                f"model.build(input_shape) first. Received: model '{model.name}' unbuilt")
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not getattr(optimizer, "built", True):
            optimizer.build(model.trainable_variables)  # rank 0 may hold a restored state
        variables = list(model.variables)
        if optimizer is not None:
            variables += list(optimizer.variables)
        self._check_same_variables(variables)
        self.broadcast_arrays([v.data for v in variables])
        random.set_state(self.comm.bcast(random.get_state(), root=0))
        model._initial_epoch = self.comm.bcast(getattr(model, "_initial_epoch", None), root=0)
        self._first_batch = True
        self._model = model

    def _check_same_variables(self, variables):
        """The same number of variables, of the same shapes and dtypes, on every rank."""
        mine = [(tuple(v.shape), str(v.dtype)) for v in variables]
        names = [getattr(v, "path", None) or getattr(v, "name", None) or f"variable_{i}"
                 for i, v in enumerate(variables)]
        everyone = self.comm.allgather(mine)
        names0 = self.comm.bcast(names, root=0)
        for rank, theirs in enumerate(everyone):
            if theirs == everyone[0]:
                continue
            i = next((i for i, (a, b) in enumerate(zip(everyone[0], theirs)) if a != b),
                     min(len(theirs), len(everyone[0])))
            if i < min(len(theirs), len(everyone[0])):
                raise ValueError(
                    "MultiWorkerMirroredStrategy: Expected the same model on every rank. "
                    f"Received: variable {i} ('{names0[i]}') of shape {everyone[0][i][0]} "
                    f"({everyone[0][i][1]}) on rank 0 but {theirs[i][0]} ({theirs[i][1]}) on "
                    f"rank {rank}")
            raise ValueError(
                "MultiWorkerMirroredStrategy: Expected the same model on every rank. Received: "
                f"{len(everyone[0])} variables on rank 0 but {len(theirs)} on rank {rank} "
                f"(the first one missing: variable {i})")

    def broadcast_arrays(self, arrays):
        """Rank 0's values into ``arrays`` on every rank (in place)."""
        for a in arrays:
            self.comm.Bcast(numpy.ascontiguousarray(a) if a.flags.c_contiguous else a, root=0)

    def shard(self, batch):
        """This rank's slice of a global batch (any structure of arrays with the same rows):
        rows ⌊n/N⌋ or ⌈n/N⌉ of them, the first ranks taking one more. The first batch after
        ``start_training`` (the full ``batch_size``) must have at least one row per rank."""
        arrays = [a for a in _flatten(batch) if a is not None and hasattr(a, "shape")]
        if not arrays:
            return batch
        n = len(arrays[0])
        if self._first_batch and n < self.size:
            raise ValueError(
                f"MultiWorkerMirroredStrategy: Expected a global batch of at least {self.size} "
                f"rows (one per rank, {self.size} ranks). Received: a batch of {n} rows "
                f"(batch_size={n} or fewer rows than ranks in the data); use fewer ranks or "
                "a larger batch_size")
        self._first_batch = False
        self._forget_dummy()
        base, extra = divmod(n, self.size)
        start = self.rank * base + min(self.rank, extra)
        count = base + (self.rank < extra)
        if count == 0:  # a last batch smaller than N: a row, weighted 0
            self._weight = 0.0
            start, count = 0, 1
            if self._model is not None:  # its metrics are put back after the step
                self._dummy = [(m, [a.copy() for a in replica_state(m)])
                               for m in self._model.metrics]
        else:
            self._weight = count * self.size / n
        return _map(lambda a: a[start:start + count] if hasattr(a, "shape") else a, batch)

    def _forget_dummy(self):
        """Undo what a step on a copied row (weight 0) added to the metrics."""
        if self._dummy is not None:
            for metric, state in self._dummy:
                set_replica_state(metric, state)
            self._dummy = None

    def replica_weight(self):
        """c_r, the factor this rank's gradients carry in the common step: n_r/n (its share
        of the global batch) in ``fit``, 1 inside ``run`` (summed), 0 for a rank given no
        row of a last, small batch."""
        if self._summing:
            return 1.0 if self._weight else 0.0
        return self._weight / self.size

    def sum_over_replicas(self, array):
        """Σ_r array_r over the ranks (one all-reduce; the same array on every rank)."""
        array = numpy.asarray(array)
        buffer = numpy.ascontiguousarray(array)  # NOTE: at least 1-D, even for a scalar
        total = numpy.empty_like(buffer)
        self.comm.Allreduce(buffer, total, op=self._mpi.SUM)
        return total.reshape(array.shape)

    def all_reduce_gradients(self, arrays):
        """The gradients averaged over the ranks (weighted by their rows), or summed inside
        ``run``; all of them in one buffer, one all-reduce."""
        if self.size == 1:
            return arrays
        dtype = numpy.result_type(*arrays)
        flat = numpy.concatenate([numpy.asarray(a, dtype=dtype).ravel() for a in arrays])
        flat *= self.replica_weight()
        total = numpy.empty_like(flat)
        self.comm.Allreduce(flat, total, op=self._mpi.SUM)
        out, start = [], 0
        for a in arrays:
            out.append(total[start:start + a.size].reshape(a.shape).astype(a.dtype, copy=False))
            start += a.size
        return out

    def reduce_metric_states(self, metrics):
        """Sum the metrics' totals and counts over the ranks (before ``result()``)."""
        self._forget_dummy()
        for metric in metrics:
            state = replica_state(metric)
            if not state:
                continue
            flat = numpy.concatenate([s.ravel() for s in state])
            total = numpy.empty_like(flat)
            self.comm.Allreduce(flat, total, op=self._mpi.SUM)
            parts, start = [], 0
            for s in state:
                parts.append(total[start:start + s.size].reshape(s.shape))
                start += s.size
            set_replica_state(metric, parts)

    # --- tf.distribute's API for custom loops ---------------------------------------------------
    def run(self, fn, args=(), kwargs=None, options=None):
        """``fn(*args)`` on this rank; its ``apply_gradients`` sums the gradients over ranks."""
        self._summing = True
        try:
            return fn(*args, **(kwargs or {}))
        finally:
            self._summing = False

    def reduce(self, reduce_op, value, axis):
        """Sum or average a per-rank value over the ranks (and along ``axis`` first), added in
        float64; the result keeps a floating value's dtype (float32 for anything else)."""
        op = _reduce_op(reduce_op)
        raw = value.numpy() if hasattr(value, "numpy") else value
        kind = getattr(raw, "dtype", None)
        dtype = kind if kind is not None and numpy.dtype(kind).kind == "f" else numpy.float32
        data = numpy.asarray(raw, dtype=numpy.float64)
        count = 1.0
        if axis is not None:
            count = float(data.shape[axis]) if data.ndim else 1.0
            data = data.sum(axis=axis)
        total = self.sum_over_replicas(data)
        if op is ReduceOp.MEAN:
            total = total / (float(self.sum_over_replicas(count)) if axis is not None
                             else self.size)
        from profond.autodiff.tensor import convert_to_tensor

        return convert_to_tensor(numpy.asarray(total, dtype=dtype))

    def experimental_distribute_dataset(self, dataset, options=None):
        """Each global batch of ``dataset``, cut to this rank's slice."""
        return _Sharded(dataset, self)

    def gather(self, value, axis):
        data = numpy.asarray(value.numpy() if hasattr(value, "numpy") else value)
        from profond.autodiff.tensor import convert_to_tensor

        return convert_to_tensor(numpy.concatenate(self.comm.allgather(data), axis=axis))


class _Sharded:
    def __init__(self, dataset, strategy):
        self.dataset, self.strategy = dataset, strategy

    def __iter__(self):
        self.strategy._first_batch = True
        for batch in self.dataset:
            yield self.strategy.shard(_map(lambda t: t.numpy() if hasattr(t, "numpy") else t,
                                           batch))
