"""``profond.distribute``: ``tf.distribute`` strategies, with one replica in one process for now
(see ``strategy.py``). Multi-process data parallelism over MPI is a later part of this package."""

from profond._names import missing_name
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
    "InputContext", "MirroredStrategy", "OneDeviceStrategy", "ReduceOp", "ReplicaContext",
    "Strategy", "get_replica_context", "get_strategy", "has_strategy", "in_cross_replica_context",
]


def __getattr__(name):
    raise missing_name(__name__, name)
