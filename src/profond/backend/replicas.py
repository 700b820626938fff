"""The processes one training runs in: one, unless a multi-process strategy is installed.

``profond.distribute.MultiWorkerMirroredStrategy`` (MPI) installs itself here when it is made;
the floors below it ask here, without importing it, whether to combine their work with the
other processes:

- ``fit`` / ``evaluate`` give each process its slice of every global batch
  (``group.shard(batch)``), and sum the metrics' state across processes at the end of an epoch;
- ``Optimizer.apply_gradients`` averages the gradients across processes
  (``group.all_reduce_gradients``) before its update, so every process makes the same step;
- ``BatchNormalization(synchronized=True)`` sums its statistics over the processes
  (``profond.ops.collective.replica_sum``: ``group.sum_over_replicas`` forward, weighted by
  ``group.replica_weight()`` backward).

``group()`` is None in a single process: then nothing changes anywhere.
"""

_group = None


def group():
    """The installed process group (an object with ``rank``, ``size``, ``is_chief``, ``shard``,
    ``all_reduce_gradients``, ``broadcast_arrays``, ``reduce_metric_states``,
    ``sum_over_replicas``, ``replica_weight``), or None."""
    return _group


def install(process_group):
    """Make ``process_group`` the one training uses (None: back to one process)."""
    global _group
    _group = process_group
