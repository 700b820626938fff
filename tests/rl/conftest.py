"""Shared pieces of the RL tests: small environments built for checking agents."""

import gymnasium
import numpy as np
import pytest
from gymnasium import spaces


class Corridor(gymnasium.Env):
    """A corridor of ``n`` cells (Discrete observation: the cell); actions 0 = left, 1 = right.
    Start in cell 0; reaching cell n−1 gives +1 and ends the episode; each step costs 0.01;
    episodes are cut after ``max_steps``. The best return is 1 − 0.01·(n − 2)."""

    def __init__(self, n=6, max_steps=30, nan_at=None):
        self.n, self.max_steps, self.nan_at = n, max_steps, nan_at
        self.observation_space = spaces.Discrete(n)
        self.action_space = spaces.Discrete(2)
        self._cell = self._t = 0
        self.total_steps = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._cell = self._t = 0
        return 0, {}

    def step(self, action):
        self._t += 1
        self.total_steps += 1
        self._cell = max(0, min(self.n - 1, self._cell + (1 if int(action) == 1 else -1)))
        terminated = self._cell == self.n - 1
        reward = 1.0 if terminated else -0.01
        if self.nan_at is not None and self.total_steps == self.nan_at:
            reward = float("nan")
        return self._cell, reward, terminated, self._t >= self.max_steps, {}


class BoxCorridor(Corridor):
    """The same corridor seen as a Box: ``[position / (n − 1), 1]``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.observation_space = spaces.Box(0.0, 1.0, (2,), np.float32)

    def _obs(self, cell):
        return np.array([cell / (self.n - 1), 1.0], np.float32)

    def reset(self, *, seed=None, options=None):
        cell, info = super().reset(seed=seed)
        return self._obs(cell), info

    def step(self, action):
        cell, reward, terminated, truncated, info = super().step(action)
        return self._obs(cell), reward, terminated, truncated, info


@pytest.fixture
def corridor():
    return Corridor()


@pytest.fixture
def box_corridor():
    return BoxCorridor()


def small_dqn(env, **kwargs):
    """A DQN that learns the corridor in a few hundred steps."""
    from profond.rl.dqn import DQN

    settings = dict(learning_rate=5e-3, buffer_size=2000, learning_starts=50, batch_size=32,
                    train_freq=4, gradient_steps=2, target_update_interval=50,
                    exploration_fraction=0.5, exploration_final_eps=0.05,
                    policy_kwargs=dict(net_arch=[32]), seed=0)
    settings.update(kwargs)
    return DQN("MlpPolicy", env, **settings)


@pytest.fixture
def make_dqn():
    return small_dqn


@pytest.fixture
def envs():
    """The test environments' classes: ``envs.Corridor(n=..., max_steps=..., nan_at=...)``,
    ``envs.BoxCorridor(...)``."""
    import types

    return types.SimpleNamespace(Corridor=Corridor, BoxCorridor=BoxCorridor)
