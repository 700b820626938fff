"""Federated averaging (McMahan et al. 2017) and FedProx (Li et al. 2020).

K clients each hold their own data (n_k examples; n = Σ n_k) and never send it. One *round*:

1. the server samples m of the K clients (``clients_per_round``; all of them by default);
2. each sampled client starts from the global weights w, trains E epochs (``local_epochs``) of
   minibatch descent on its data (batches of B), and sends back its update Δ_k = w_k − w;
3. the server averages the updates, weighted by the clients' sizes:

       w ← w + Σ_k n_k Δ_k / Σ_k n_k          (sum over the sampled clients)

   which is the weighted average Σ_k n_k w_k / Σ_k n_k of the client models (every weight,
   trainable or not: BatchNormalization's moving statistics are averaged too).

With one full-batch step per client (E = 1, B = n_k) a round is exactly one step of gradient
descent on all the data (FedSGD); more local work per round means fewer rounds (less
communication), at the price of client drift when the clients' data differ (non-IID).

**FedProx** adds to each client's cost a proximal term that holds it near the global model:

    J_k(w_k) + μ/2 ‖w_k − w‖²

**Differential privacy** (DP-FedAvg, McMahan et al. 2018), with ``clip_norm`` S and
``noise_multiplier`` z: each update is clipped to norm S, Δ_k · min(1, S / ‖Δ_k‖), and the
server adds Gaussian noise to their sum, w ← w + (Σ_k clip(Δ_k) + N(0, z²S² I)) / m. The
weights are then uniform (1/m), as client-level privacy needs: one client changes the sum by at
most S. (The noise here is seeded, for reproducible experiments; a real deployment draws it
from a secret source on a trusted server.)

Clients are simulated one after another in one process (``fit``), or each MPI rank is one
client (``fit_mpi``, under ``mpiexec -n K``: rank 0 plays the server). Every random choice —
the clients sampled in round r, client k's batch order and dropout in round r, the server's
noise — comes from ``seed``, so both runs give the same weights.

Client training copies the compiled model's loss and optimizer; the optimizer starts fresh
(its state zeroed) for each client in each round. It reseeds ``profond.random`` (dropout) for
each client.
"""

import contextlib
import traceback

import numpy

from profond import ops
from profond import random as profond_random
from profond.autodiff.tape import GradientTape
from profond.backend import replicas
from profond.callbacks.base import History
from profond.distribute.mpi import abort_every_rank


def _positive_int(value, name, where, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ValueError(f"{where}: Expected {name} a positive integer. "
                         f"Received: {name}={value!r}")
    return int(value)


def _positive_float(value, name, where):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, numpy.number)) \
            or not numpy.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: Expected {name} > 0. Received: {name}={value!r}")
    return float(value)


@contextlib.contextmanager
def _alone():
    """Client training in this process only: a data-parallel process group (an MPI strategy)
    would otherwise average the client's gradients with the other ranks'."""
    group = replicas.group()
    replicas.install(None)
    try:
        yield
    finally:
        replicas.install(group)


class FedAvg:
    """Federated averaging of a compiled Keras model (see the module).

    ``model`` is the global model: compiled (its loss is the clients' cost, its optimizer their
    optimizer), updated in place at each round. ``clients_per_round`` m: clients sampled per
    round (None: all); ``local_epochs`` E and ``batch_size`` B: each client's training;
    ``clip_norm`` S and ``noise_multiplier`` z: differential privacy (both or neither).

    >>> import numpy as np, profond as pf
    >>> from profond.federated import FedAvg, iid_split
    >>> x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    >>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    >>> model = pf.keras.Sequential([pf.keras.Input((3,)), pf.keras.layers.Dense(1)])
    >>> model.compile(optimizer=pf.keras.optimizers.SGD(0.1), loss="mse")
    >>> fed = FedAvg(model, local_epochs=2, batch_size=5, seed=0)
    >>> history = fed.fit(x, y, iid_split(y, 4, seed=0), rounds=20)
    >>> history.history["loss"][-1] < 0.01 * history.history["loss"][0]
    True
    """

    mu = 0.0  # FedProx's proximal coefficient (0: FedAvg)

    def __init__(self, model, clients_per_round=None, local_epochs=1, batch_size=32, seed=None,
                 clip_norm=None, noise_multiplier=None):
        where = type(self).__name__
        if getattr(model, "optimizer", None) is None or getattr(model, "_compile_loss",
                                                                None) is None:
            raise ValueError(f"{where}: Expected a model compiled with a loss and an optimizer "
                             "(the clients' cost and optimizer). Call model.compile(optimizer, "
                             f"loss) first. Received: model={model!r:.80}")
        self.model = model
        self.clients_per_round = _positive_int(clients_per_round, "clients_per_round", where,
                                               allow_none=True)
        self.local_epochs = _positive_int(local_epochs, "local_epochs", where)
        self.batch_size = _positive_int(batch_size, "batch_size", where)
        self.clip_norm = _positive_float(clip_norm, "clip_norm", where)
        self.noise_multiplier = _positive_float(noise_multiplier, "noise_multiplier", where)
        if (self.clip_norm is None) != (self.noise_multiplier is None):
            raise ValueError(f"{where}: Expected clip_norm and noise_multiplier together (both "
                             f"for differential privacy, or neither). Received: "
                             f"clip_norm={clip_norm!r}, noise_multiplier={noise_multiplier!r}")
        if seed is None:
            seed = int(profond_random.generator().integers(2**31))
        if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
            raise ValueError(f"{where}: Expected seed a non-negative integer or None. "
                             f"Received: seed={seed!r}")
        self.seed = int(seed)
        self.round = 0  # rounds done so far (fit continues from there)

    @property
    def private(self):
        return self.clip_norm is not None

    # --- one client ---------------------------------------------------------------------------
    def client_update(self, weights, x, y, round_index, client):
        """Client ``client``'s training in round ``round_index`` from the global ``weights``:
        returns its update Δ_k = w_k − w (float64 arrays) and its mean training loss."""
        model = self.model
        model.set_weights(weights)
        anchor = [numpy.array(v.numpy()) for v in model.trainable_variables]  # w, for FedProx
        optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
        order_rng = numpy.random.default_rng([self.seed, 2, round_index, client])
        profond_random.set_seed([self.seed, 4, round_index, client])  # dropout
        total, count = 0.0, 0
        with _alone():
            for _ in range(self.local_epochs):
                order = order_rng.permutation(len(x))
                for start in range(0, len(x), self.batch_size):
                    batch = order[start:start + self.batch_size]
                    xb, yb = x[batch], y[batch]
                    with GradientTape() as tape:
                        pred = model(xb, training=True)
                        loss = model.compute_loss(xb, yb, pred, training=True)
                        cost = loss + self._proximal(model.trainable_variables, anchor)
                    grads = tape.gradient(cost, model.trainable_variables)
                    optimizer.apply_gradients(zip(grads, model.trainable_variables))
                    total += float(loss.numpy()) * len(batch)
                    count += len(batch)
        update = [numpy.asarray(w, dtype=numpy.float64) - numpy.asarray(g, dtype=numpy.float64)
                  for w, g in zip(model.get_weights(), weights)]
        if self.private:
            update = self._clip(update)
        return update, total / count

    def _proximal(self, variables, anchor):
        """μ/2 ‖w_k − w‖² (0 for FedAvg)."""
        if not self.mu:
            return 0.0
        terms = [ops.reduce_sum(ops.square(v - a)) for v, a in zip(variables, anchor)]
        return (0.5 * self.mu) * ops.add_n(terms)

    def _clip(self, update):
        """Δ · min(1, S / ‖Δ‖), the norm over every weight of the model."""
        norm = numpy.sqrt(sum(float(numpy.sum(u * u)) for u in update))
        scale = min(1.0, self.clip_norm / norm) if norm > 0 else 1.0
        return [u * scale for u in update]

    # --- the server ---------------------------------------------------------------------------
    def sample_clients(self, round_index, num_clients):
        """The sorted ids of the clients that train in round ``round_index``."""
        m = self.clients_per_round or num_clients
        if m > num_clients:
            raise ValueError(f"{type(self).__name__}: Expected clients_per_round <= the number "
                             f"of clients ({num_clients}). Received: clients_per_round={m}")
        if m == num_clients:
            return numpy.arange(num_clients)
        rng = numpy.random.default_rng([self.seed, 1, round_index])
        return numpy.sort(rng.choice(num_clients, size=m, replace=False))

    def _weight(self, n_k):
        return 1.0 if self.private else float(n_k)

    def _apply(self, weights, summed, total_weight, round_index):
        """w + (Σ weight_k Δ_k [+ noise]) / Σ weight_k, cast back to the weights' dtypes."""
        if self.private:
            rng = numpy.random.default_rng([self.seed, 3, round_index])
            std = self.noise_multiplier * self.clip_norm
            summed = [s + rng.normal(0.0, std, size=s.shape) for s in summed]
        return [(numpy.asarray(w, dtype=numpy.float64) + s / total_weight).astype(w.dtype)
                for w, s in zip(weights, summed)]

    def _log(self, history, logs, validation_data, verbose):
        if validation_data is not None:
            val = self.model.evaluate(*validation_data[:2], verbose=0, return_dict=True)
            logs.update({f"val_{k}": v for k, v in val.items()})
        history.on_epoch_end(self.round, logs)
        if verbose:
            text = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
            print(f"round {self.round + 1}: {text}", flush=True)
        self.round += 1

    def fit(self, x, y, clients, rounds=1, validation_data=None, verbose=0):
        """``rounds`` rounds over simulated clients: ``clients`` is a list of index arrays into
        ``x`` and ``y`` (``iid_split``, ``dirichlet_split``). Returns a ``History``: per round,
        ``loss`` (the sampled clients' mean training loss, weighted by size) and, with
        ``validation_data=(x_val, y_val)``, the global model's ``val_*`` metrics."""
        where = type(self).__name__
        x, y = numpy.asarray(x), numpy.asarray(y)
        clients = [numpy.asarray(c) for c in clients]
        if not clients or any(c.ndim != 1 or len(c) == 0 for c in clients):
            raise ValueError(f"{where}.fit: Expected clients a non-empty list of non-empty index "
                             "arrays (from iid_split / dirichlet_split). Received: sizes "
                             f"{[int(c.size) for c in clients][:10]}")
        if len(x) != len(y):
            raise ValueError(f"{where}.fit: Expected x and y with the same number of rows. "
                             f"Received: len(x)={len(x)}, len(y)={len(y)}")
        rounds = _positive_int(rounds, "rounds", f"{where}.fit")
        history = History()
        for _ in range(rounds):
            r = self.round
            weights = self.model.get_weights()
            summed = [numpy.zeros(w.shape) for w in weights]
            total_weight, loss_sum, n_sum = 0.0, 0.0, 0
            for k in self.sample_clients(r, len(clients)):
                idx = clients[k]
                update, loss = self.client_update(weights, x[idx], y[idx], r, int(k))
                weight = self._weight(len(idx))
                for s, u in zip(summed, update):
                    s += weight * u
                total_weight += weight
                loss_sum, n_sum = loss_sum + loss * len(idx), n_sum + len(idx)
            self.model.set_weights(self._apply(weights, summed, total_weight, r))
            self._log(history, {"loss": loss_sum / n_sum}, validation_data, verbose)
        return history

    def fit_mpi(self, x, y, rounds=1, validation_data=None, verbose=0, comm=None):
        """``rounds`` rounds with each MPI rank one client holding ``x``, ``y`` (run the script
        with ``mpiexec -n K``). Rank 0's initial weights start everyone; rank 0 sums the
        updates and sends the new global weights to all, so every rank ends with the same
        model. ``comm``: an mpi4py communicator (by default that of the
        MultiWorkerMirroredStrategy in use, else ``COMM_WORLD``). Returns a ``History``
        (the same on every rank; ``verbose`` prints on rank 0). An error on one rank prints
        its traceback and stops every rank (``MPI_Abort``) rather than leave them waiting."""
        mpi, comm = self._communicator(comm)
        try:
            return self._mpi_rounds(mpi, comm, x, y, rounds, validation_data, verbose)
        except Exception:
            if comm.Get_size() == 1:
                raise
            traceback.print_exc()
            abort_every_rank(comm, f"rank {comm.Get_rank()} of {comm.Get_size()} failed in "
                                   f"{type(self).__name__}.fit_mpi")

    def _mpi_rounds(self, mpi, comm, x, y, rounds, validation_data, verbose):
        where = f"{type(self).__name__}.fit_mpi"
        rank, size = comm.Get_rank(), comm.Get_size()
        x, y = numpy.asarray(x), numpy.asarray(y)
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"{where}: Expected x and y with the same, non-zero number of rows "
                             f"on rank {rank}. Received: len(x)={len(x)}, len(y)={len(y)}")
        rounds = _positive_int(rounds, "rounds", where)
        weights = self.model.get_weights()
        shapes = [w.shape for w in weights]
        if comm.allgather(shapes) != [shapes] * size:
            raise ValueError(f"{where}: Expected the same model on every rank. Received on rank "
                             f"{rank}: weights of shapes {shapes[:6]}, which differ from another "
                             "rank's")
        for w in weights:
            comm.Bcast(w, root=0)
        self.model.set_weights(weights)
        history = History()
        for _ in range(rounds):
            r = self.round
            weights = self.model.get_weights()
            flat = numpy.zeros(sum(w.size for w in weights) + 3)  # Σ wΔ, Σ weight, Σ nL, Σ n
            if rank in self.sample_clients(r, size):
                update, loss = self.client_update(weights, x, y, r, rank)
                weight = self._weight(len(x))
                flat[:-3] = numpy.concatenate([u.ravel() for u in update]) * weight
                flat[-3:] = weight, loss * len(x), len(x)
            total = numpy.empty_like(flat)
            comm.Reduce(flat, total, op=mpi.SUM, root=0)
            if rank == 0:
                summed, start = [], 0
                for w in weights:
                    summed.append(total[start:start + w.size].reshape(w.shape))
                    start += w.size
                weights = self._apply(weights, summed, total[-3], r)
            for w in weights:
                comm.Bcast(w, root=0)
            comm.Bcast(total, root=0)
            self.model.set_weights(weights)
            self._log(history, {"loss": total[-2] / total[-1]}, validation_data,
                      verbose and rank == 0)
        return history

    @staticmethod
    def _communicator(comm):
        from profond.distribute.mpi import _world

        mpi, world = _world()
        if comm is None:
            comm = getattr(replicas.group(), "comm", None) or world
        return mpi, comm


class FedProx(FedAvg):
    """FedAvg whose clients minimise J_k(w_k) + μ/2 ‖w_k − w‖² (``mu`` μ ≥ 0; μ = 0 is FedAvg):
    the proximal term limits client drift on non-IID data (Li et al. 2020)."""

    def __init__(self, model, mu=0.01, **kwargs):
        if isinstance(mu, bool) or not isinstance(mu, (int, float, numpy.number)) \
                or not numpy.isfinite(mu) or mu < 0:
            raise ValueError(f"FedProx: Expected mu >= 0 (the proximal coefficient). "
                             f"Received: mu={mu!r}")
        super().__init__(model, **kwargs)
        self.mu = float(mu)
