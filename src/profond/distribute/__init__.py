"""``profond.distribute``: ``tf.distribute`` strategies. One replica in one process
(``strategy.py``), or data parallelism over MPI processes with ``MultiWorkerMirroredStrategy``
(``mpi.py``: ``mpiexec -n 2 python train.py``)."""

from profond._names import missing_name
from profond.distribute.mpi import MultiWorkerMirroredStrategy
from profond.distribute.strategy import (
    InputContext,
    MirroredStrategy,
    OneDeviceStrategy,
    ReduceOp,
    ReplicaContext,
    Strategy,
    get_replica_context,
    get_strategy,
    has_strategy,
    in_cross_replica_context,
)

__all__ = [
    "InputContext", "MirroredStrategy", "MultiWorkerMirroredStrategy", "OneDeviceStrategy",
    "ReduceOp", "ReplicaContext", "Strategy", "get_replica_context", "get_strategy",
    "has_strategy", "in_cross_replica_context",
]


def __getattr__(name):
    raise missing_name(__name__, name)
