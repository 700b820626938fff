"""Policies: the profond networks agents learn with (Stable-Baselines3's ``"MlpPolicy"``).

``MlpPolicy`` builds multilayer perceptrons from ``net_arch`` (hidden sizes) and
``activation_fn`` (a profond activation's name); DQN asks it for Q-networks ``Q(s, ·; θ)``:
one output per action. Each network is a plain profond ``Sequential`` of ``Dense`` layers,
wrapped in a ``QNetwork`` that evaluates it two ways:

- ``q(x)``: a ``Tensor`` recorded for gradients (training);
- ``values(x)``: a NumPy array, no graph (acting, targets).

>>> import gymnasium
>>> env = gymnasium.make("CartPole-v1")
>>> policy = MlpPolicy(env.observation_space, env.action_space, net_arch=[32, 32])
>>> net = policy.make_q_net("q_net")
>>> net.values(numpy.zeros((3, 4), numpy.float32)).shape
(3, 2)
>>> net.model.count_params()                 # (4·32 + 32) + (32·32 + 32) + (32·2 + 2)
1282
"""

import numpy
from gymnasium import spaces

from profond import activations
from profond._validation import fail
from profond.autodiff.mode import no_grad
from profond.layers import Dense, Input
from profond.models import Sequential
from profond.ops import dense
from profond.ops.nn import Dense as DenseOp

__all__ = ["MlpPolicy", "QNetwork", "create_mlp"]

# Activations that ``profond.ops.dense`` fuses into its op (forward and backward in one node).
_FUSED = ("relu", "tanh", "sigmoid", "linear")


def create_mlp(input_dim, output_dim, net_arch, activation_fn="relu", name=None):
    """A ``Sequential``: ``Input((input_dim,))``, one ``Dense(h, activation_fn)`` per entry of
    ``net_arch``, then a linear ``Dense(output_dim)``: ŷ = W_L(… g(W_1 x + b_1) …) + b_L."""
    layers = [Input(shape=(input_dim,))]
    layers += [Dense(units, activation=activation_fn) for units in net_arch]
    layers.append(Dense(output_dim))
    return Sequential(layers, name=name)


class MlpPolicy:
    """Multilayer perceptrons for an agent's spaces.

    Args:
        observation_space: ``Box`` (flattened) or ``Discrete`` (one-hot) observations.
        action_space: the agent's action space (``Discrete``: one Q-value per action).
        net_arch: hidden layer sizes, e.g. ``[64, 64]`` (SB3's default for DQN).
        activation_fn: the hidden layers' activation, a profond name (``"relu"``, ``"tanh"``…).
        where: the agent's name, for error messages.
    """

    def __init__(self, observation_space, action_space, net_arch=None, activation_fn="relu",
                 where="MlpPolicy"):
        net_arch = [64, 64] if net_arch is None else net_arch
        if not isinstance(net_arch, (list, tuple)) or not all(
                isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in net_arch):
            raise fail("net_arch", net_arch, "a list of positive layer sizes, e.g. [64, 64]",
                       where)
        if not isinstance(activation_fn, str):
            raise fail("activation_fn", activation_fn, 'an activation\'s name, e.g. "relu"',
                       where, TypeError)
        try:
            activations.get(activation_fn)
        except ValueError:
            raise fail("activation_fn", activation_fn, "a profond activation's name",
                       where) from None
        self.observation_space = observation_space
        self.action_space = action_space
        self.net_arch = list(net_arch)
        self.activation_fn = activation_fn

    @property
    def input_dim(self):
        space = self.observation_space
        if isinstance(space, spaces.Discrete):
            return int(space.n)
        return int(numpy.prod(space.shape))

    def make_q_net(self, name):
        """A ``QNetwork`` with one output per action of the ``Discrete`` action space."""
        model = create_mlp(self.input_dim, int(self.action_space.n), self.net_arch,
                           self.activation_fn, name=name)
        return QNetwork(model, self.activation_fn)


class QNetwork:
    """A ``Sequential`` of ``Dense`` layers (``model``) evaluated without ``Layer.__call__``.

    # NOTE: an agent calls its network once per environment step on one observation, and
    # thousands of times per second while training: ``Layer.__call__``'s bookkeeping (shape
    # checks, name scopes) would cost more than the arithmetic. The layers' variables are fed to
    # the op they use (``profond.ops.dense``) directly: the same numbers as ``model(x)``.
    """

    def __init__(self, model, activation_fn):
        self.model = model
        self.activation_fn = activation_fn
        self._layers = [(layer.kernel, layer.bias) for layer in model.layers]
        fused = activation_fn if activation_fn in _FUSED else None
        self._fused = None if fused == "linear" else fused
        self._ops = [DenseOp(self._fused) for _ in self._layers[:-1]] + [DenseOp(None)]
        self._activation = None if fused else activations.get(activation_fn)

    @property
    def trainable_variables(self):
        return self.model.trainable_variables

    @property
    def weights(self):
        return self.model.weights

    def q(self, x):
        """Q(x, ·) as a ``Tensor`` recorded for gradients; ``x``: a float32 batch."""
        h = x
        last = len(self._layers) - 1
        for i, (kernel, bias) in enumerate(self._layers):
            if i == last:
                return dense(h, kernel, bias)
            if self._activation is None:
                h = dense(h, kernel, bias, self._fused)
            else:
                h = self._activation(dense(h, kernel, bias))
        return h

    def values(self, x):
        """Q(x, ·) as a NumPy array, outside any graph (acting, TD targets)."""
        if self._activation is not None:
            with no_grad():
                return self.q(x).numpy()
        h = x
        for op, (kernel, bias) in zip(self._ops, self._layers):
            h = op.forward(h, kernel.data, bias.data)
        return h

    def copy_from(self, other, tau=1.0):
        """Polyak update θ⁻ ← τ θ + (1 − τ) θ⁻ (``tau=1``: a plain copy)."""
        for target, source in zip(self.model.weights, other.model.weights):
            if tau == 1.0:
                target.data[...] = source.data
            else:
                target.data *= 1.0 - tau
                target.data += tau * source.data
