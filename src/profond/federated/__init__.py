"""``profond.federated``: federated learning. Clients keep their data and send model updates;
a server averages them (FedAvg, FedProx, optionally with differential privacy). Clients are
simulated in one process, or each MPI rank is one.

>>> from profond import federated
>>> sorted(federated.__all__)[:3]
['FedAvg', 'FedProx', 'client_label_counts']
"""

from profond._names import missing_name
from profond.federated.fedavg import FedAvg, FedProx
from profond.federated.splits import client_label_counts, dirichlet_split, iid_split

__all__ = ["FedAvg", "FedProx", "client_label_counts", "dirichlet_split", "iid_split"]


def __getattr__(name):
    raise missing_name(__name__, name)
