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

The rule for batches: ``batch_size`` is the global batch, and a batch of n rows gives each rank
⌊n/N⌋ or ⌈n/N⌉ of them (a batch smaller than N leaves some ranks a zero-weight copy of a row).
BatchNormalization's statistics are those of each rank's slice (not synchronised).

In a custom loop, ``strategy.run(step, args)`` calls ``step`` on each rank's slice; inside it,
``apply_gradients`` *sums* the gradients over the ranks, as TensorFlow does: scale the loss by
the global batch size (``tf.nn.compute_average_loss(per_example, global_batch_size=…)``).

An uncaught error on any rank prints its traceback and stops every rank (``MPI_Abort``), so a
failure never leaves the others waiting; checkpoints are written by rank 0 only, atomically.

MPI comes from the ``mpi`` extra (``mpi4py`` and the ``mpich`` wheels): ``profond launch -n 2
train.py`` runs ``mpiexec -n 2 python train.py``. When one rank fails, MPI stops the others.
"""

import sys

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
        replicas.install(self)
        self._abort_on_error()

    def _abort_on_error(self):
        """An uncaught error on one rank stops every rank (MPI_Abort), after its traceback:
        otherwise the others would wait for it forever in their next all-reduce."""
        previous = sys.excepthook

        def hook(kind, value, traceback):
            previous(kind, value, traceback)
            sys.stderr.write(f"profond: rank {self.rank} of {self.size} failed: stopping every "
                             "rank (MPI_Abort)\n")
            sys.stderr.flush()
            self.comm.Abort(1)

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
        """Rank 0's weights (and optimizer state) and random stream for every rank; a model that
        differs between ranks is an error."""
        variables = list(model.variables)
        if getattr(model, "optimizer", None) is not None and model.optimizer.built:
            variables += list(model.optimizer.variables)
        shapes = [tuple(v.shape) for v in variables]
        if self.comm.allgather(shapes) != [shapes] * self.size:
            raise ValueError("MultiWorkerMirroredStrategy: Expected the same model on every "
                             f"rank. Received on rank {self.rank}: {len(shapes)} variables of "
                             f"shapes {shapes[:6]}…, which differ from another rank's")
        self.broadcast_arrays([v.data for v in variables])
        state = self.comm.bcast(random.generator().bit_generator.state, root=0)
        random.generator().bit_generator.state = state

    def broadcast_arrays(self, arrays):
        """Rank 0's values into ``arrays`` on every rank (in place)."""
        for a in arrays:
            self.comm.Bcast(numpy.ascontiguousarray(a) if a.flags.c_contiguous else a, root=0)

    def shard(self, batch):
        """This rank's slice of a global batch (any structure of arrays with the same rows)."""
        arrays = [a for a in _flatten(batch) if a is not None and hasattr(a, "shape")]
        if not arrays:
            return batch
        n = len(arrays[0])
        base, extra = divmod(n, self.size)
        start = self.rank * base + min(self.rank, extra)
        count = base + (self.rank < extra)
        if count == 0:  # fewer rows than ranks: a row, weighted 0
            self._weight = 0.0
            start, count = 0, 1
        else:
            self._weight = count * self.size / n
        return _map(lambda a: a[start:start + count] if hasattr(a, "shape") else a, batch)

    def all_reduce_gradients(self, arrays):
        """The gradients averaged over the ranks (weighted by their rows), or summed inside
        ``run``; all of them in one buffer, one all-reduce."""
        if self.size == 1:
            return arrays
        dtype = numpy.result_type(*arrays)
        flat = numpy.concatenate([numpy.asarray(a, dtype=dtype).ravel() for a in arrays])
        if not self._summing:
            flat *= self._weight / self.size
        total = numpy.empty_like(flat)
        self.comm.Allreduce(flat, total, op=self._mpi.SUM)
        out, start = [], 0
        for a in arrays:
            out.append(total[start:start + a.size].reshape(a.shape).astype(a.dtype, copy=False))
            start += a.size
        return out

    def reduce_metric_states(self, metrics):
        """Sum the metrics' totals and counts over the ranks (before ``result()``)."""
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
        """Sum or average a per-rank value over the ranks (and along ``axis`` first)."""
        op = _reduce_op(reduce_op)
        data = numpy.asarray(value.numpy() if hasattr(value, "numpy") else value,
                             dtype=numpy.float64)
        count = 1.0
        if axis is not None:
            count = float(data.shape[axis]) if data.ndim else 1.0
            data = data.sum(axis=axis)
        total = self.comm.allreduce(data, op=self._mpi.SUM)
        if op is ReduceOp.MEAN:
            total = total / (self.comm.allreduce(count, op=self._mpi.SUM) if axis is not None
                             else self.size)
        from profond.autodiff.tensor import convert_to_tensor

        return convert_to_tensor(numpy.asarray(total, dtype=numpy.float32))

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
        for batch in self.dataset:
            yield self.strategy.shard(_map(lambda t: t.numpy() if hasattr(t, "numpy") else t,
                                           batch))
