"""The replay buffer of off-policy agents (DQN): the last transitions, sampled uniformly.

A transition is ``(s, a, r, s', terminated)``. The buffer is a ring of NumPy arrays of
``buffer_size`` rows: once full, each new transition overwrites the oldest. Sampling draws
``batch_size`` rows uniformly (with replacement), which breaks the correlation between
consecutive steps that would make Q-learning with a network unstable (Mnih et al., 2015).

``terminated`` (not ``truncated``) is stored: an episode cut by a time limit did not end, so its
target still bootstraps from ``s'`` (SB3's ``handle_timeout_termination``).

>>> import gymnasium
>>> env = gymnasium.make("CartPole-v1")
>>> buffer = ReplayBuffer(100, env.observation_space, env.action_space)
>>> obs = numpy.zeros(4, numpy.float32)
>>> buffer.add(obs, obs + 1, 1, 1.0, False)
>>> len(buffer), buffer.sample(2, numpy.random.default_rng(0))[1].tolist()
(1, [1, 1])
"""

import numpy
from gymnasium import spaces

from profond._validation import integer
from profond.saving.limits import FileFormatError

__all__ = ["ReplayBuffer"]


class ReplayBuffer:
    """A ring buffer of transitions.

    Args:
        buffer_size: the most transitions kept.
        observation_space: the environment's (``Box`` or ``Discrete``); observations are kept
            in its dtype and shape (an index for ``Discrete``).
        action_space: a ``Discrete`` space (actions kept as int64).

    Attributes: ``observations``, ``next_observations``, ``actions``, ``rewards`` (float32),
    ``dones`` (float32, 1.0 when the episode terminated), ``pos`` (next row written), ``full``.
    """

    def __init__(self, buffer_size, observation_space, action_space):
        self.buffer_size = integer("buffer_size", buffer_size, "ReplayBuffer", minimum=1)
        self.observation_space = observation_space
        self.action_space = action_space
        if isinstance(observation_space, spaces.Discrete):
            obs_shape, obs_dtype = (), numpy.int64
        else:
            obs_shape, obs_dtype = tuple(observation_space.shape), observation_space.dtype
        self.observations = numpy.zeros((self.buffer_size, *obs_shape), obs_dtype)
        self.next_observations = numpy.zeros_like(self.observations)
        self.actions = numpy.zeros(self.buffer_size, numpy.int64)
        self.rewards = numpy.zeros(self.buffer_size, numpy.float32)
        self.dones = numpy.zeros(self.buffer_size, numpy.float32)
        self.pos = 0
        self.full = False

    def __len__(self):
        return self.buffer_size if self.full else self.pos

    def add(self, obs, next_obs, action, reward, terminated):
        """Store one transition (overwriting the oldest once full)."""
        i = self.pos
        self.observations[i] = obs
        self.next_observations[i] = next_obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.dones[i] = terminated
        self.pos = i + 1
        if self.pos == self.buffer_size:
            self.pos, self.full = 0, True

    def sample(self, batch_size, rng):
        """``(obs, actions, rewards, next_obs, dones)``: ``batch_size`` rows drawn uniformly
        with ``rng`` (a NumPy ``Generator``)."""
        if len(self) == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty.")
        rows = rng.integers(0, len(self), size=batch_size)
        return (self.observations[rows], self.actions[rows], self.rewards[rows],
                self.next_observations[rows], self.dones[rows])

    # --- files --------------------------------------------------------------------------------
    def get_arrays(self):
        """The stored rows (``len(self)`` of them, in ring order) and the write position."""
        n = len(self)
        return {"observations": self.observations[:n], "next_observations":
                self.next_observations[:n], "actions": self.actions[:n],
                "rewards": self.rewards[:n], "dones": self.dones[:n],
                "pos": numpy.array([self.pos, int(self.full)], numpy.int64)}

    def set_arrays(self, arrays):
        """Restore ``get_arrays``'s arrays; a ``FileFormatError`` when they do not fit."""
        names = ("observations", "next_observations", "actions", "rewards", "dones", "pos")
        missing = [name for name in names if name not in arrays]
        if missing:
            raise FileFormatError(f"The saved replay buffer lacks {missing}.")
        pos = arrays["pos"]
        if pos.shape != (2,) or pos.dtype != numpy.int64:
            raise FileFormatError(f"Expected the buffer's position as 2 int64. Received: "
                                  f"shape {pos.shape}, dtype {pos.dtype}")
        position, full = int(pos[0]), int(pos[1])
        n = self.buffer_size if full else position
        if full not in (0, 1) or not 0 <= position < self.buffer_size:
            raise FileFormatError(f"The saved replay buffer's position ({position}, "
                                  f"full={full}) does not fit buffer_size={self.buffer_size}.")
        for name in names[:-1]:
            target, array = getattr(self, name), arrays[name]
            if array.shape != (n, *target.shape[1:]) or array.dtype != target.dtype:
                raise FileFormatError(
                    f"The saved replay buffer's {name} have shape {array.shape} and dtype "
                    f"{array.dtype}. Expected: shape {(n, *target.shape[1:])}, dtype "
                    f"{target.dtype}.")
        actions = arrays["actions"]
        if n and (actions.min() < 0 or actions.max() >= self.action_space.n):
            raise FileFormatError(f"The saved replay buffer holds actions outside [0, "
                                  f"{self.action_space.n}).")
        space = self.observation_space
        if n and isinstance(space, spaces.Discrete):
            low, high = int(space.start), int(space.start + space.n)
            for name in ("observations", "next_observations"):
                if arrays[name].min() < low or arrays[name].max() >= high:
                    raise FileFormatError(f"The saved replay buffer holds {name} outside "
                                          f"[{low}, {high}).")
        if not numpy.isfinite(arrays["rewards"]).all():
            raise FileFormatError("The saved replay buffer holds rewards that are not finite.")
        for name in names[:-1]:
            getattr(self, name)[:n] = arrays[name]
        self.pos, self.full = position, bool(full)
