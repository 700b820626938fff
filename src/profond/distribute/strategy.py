"""Distribution strategies with one replica: ``tf.distribute`` code runs unchanged in one process.

A TF strategy copies the model onto several replicas (GPUs, workers), gives each a slice of every
batch and sums their gradients. profond runs in one process on one device, so every strategy
here has exactly one replica, ``num_replicas_in_sync == 1``:

- ``scope()`` makes the strategy current (``get_strategy()`` returns it); variables made inside
  are ordinary variables;
- ``run(fn, args)`` calls ``fn(*args)`` once — the per-replica value *is* the value;
- ``reduce(op, value, axis)`` over one replica leaves ``value`` as is when ``axis`` is ``None``,
  and otherwise sums or averages it along ``axis`` (the batch axis), as TF does;
- ``experimental_distribute_dataset(ds)`` returns ``ds`` (the whole batch goes to the replica).

Training on several processes with MPI is a later part of ``profond.distribute``.

>>> import profond as tf
>>> strategy = tf.distribute.MirroredStrategy()
>>> with strategy.scope():
...     w = tf.Variable([1.0, 2.0])
>>> strategy.num_replicas_in_sync
1
>>> strategy.reduce("SUM", strategy.run(lambda x: 2 * x, args=(w,)), axis=0).numpy()
array(6., dtype=float32)
"""

import contextlib
import enum

from profond import ops
from profond.autodiff.tensor import convert_to_tensor


class ReduceOp(enum.Enum):
    """How ``Strategy.reduce`` combines values: ``SUM`` or ``MEAN``."""

    SUM = "SUM"
    MEAN = "MEAN"


def _reduce_op(reduce_op):
    if isinstance(reduce_op, ReduceOp):
        return reduce_op
    try:
        return ReduceOp(str(reduce_op).upper())
    except ValueError:
        raise ValueError("Expected reduce_op ReduceOp.SUM or ReduceOp.MEAN ('SUM' or 'MEAN'). "
                         f"Received: reduce_op={reduce_op!r}") from None


class ReplicaContext:
    """Inside ``Strategy.run``: the one replica, with id 0."""

    def __init__(self, strategy):
        self.strategy = strategy
        self.num_replicas_in_sync = 1
        self.replica_id_in_sync_group = 0

    def all_reduce(self, reduce_op, value):
        """Over one replica, a sum or a mean of one value is that value."""
        _reduce_op(reduce_op)
        return value


class InputContext:
    """What ``distribute_datasets_from_function`` passes to its function (one input pipeline)."""

    num_input_pipelines = 1
    input_pipeline_id = 0
    num_replicas_in_sync = 1

    def get_per_replica_batch_size(self, global_batch_size):
        return int(global_batch_size)


_stack = []  # the strategies whose scope() is open, innermost last


class Strategy:
    """A single-replica strategy (see the module); the base of the named strategies."""

    num_replicas_in_sync = 1

    def __init__(self, devices=("/CPU:0",)):
        self._devices = tuple(devices)

    @property
    def extended(self):
        return self

    @contextlib.contextmanager
    def scope(self):
        """Make this strategy current: ``get_strategy()`` returns it inside the ``with``."""
        _stack.append(self)
        try:
            yield self
        finally:
            _stack.remove(self)

    def run(self, fn, args=(), kwargs=None, options=None):
        """Call ``fn(*args, **kwargs)`` on the one replica."""
        return fn(*args, **(kwargs or {}))

    def reduce(self, reduce_op, value, axis):
        """Combine a per-replica value; with one replica only ``axis`` (if any) is reduced."""
        op = _reduce_op(reduce_op)
        if axis is None:
            return value
        value = convert_to_tensor(value)
        reduce = ops.reduce_sum if op is ReduceOp.SUM else ops.reduce_mean
        return reduce(value, axis=axis)

    def experimental_distribute_dataset(self, dataset, options=None):
        """The dataset itself: the one replica takes each whole batch."""
        return dataset

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        return dataset_fn(InputContext())

    def experimental_local_results(self, value):
        return (value,)

    def gather(self, value, axis):
        return value

    def __repr__(self):
        return f"<{type(self).__name__} (1 replica, profond: single process)>"


class OneDeviceStrategy(Strategy):
    """Everything on one named device (``"/cpu:0"`` or ``"/gpu:0"``): the current backend."""

    def __init__(self, device):
        from profond.config import _parse_device

        _parse_device(device)
        super().__init__((device,))


class MirroredStrategy(Strategy):
    """Data parallelism over the devices of one machine: here one device, so one replica.

    Asking for several devices raises an error rather than silently using one.
    """

    def __init__(self, devices=None, cross_device_ops=None):
        from profond.config import _parse_device

        devices = ["/CPU:0"] if devices is None else list(devices)
        for d in devices:
            _parse_device(d)
        if len(devices) > 1:
            raise NotImplementedError(
                "MirroredStrategy: profond runs one replica in one process; several devices are "
                f"not implemented yet. Received: devices={devices!r}")
        super().__init__(devices)


_default = Strategy()


def get_strategy():
    """The strategy whose ``scope()`` is open, else the default one (one replica)."""
    return _stack[-1] if _stack else _default


def has_strategy():
    """True inside a strategy's ``scope()``."""
    return bool(_stack)


def in_cross_replica_context():
    return True


def get_replica_context():
    return ReplicaContext(get_strategy())
