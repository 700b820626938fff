"""On-policy experience: the rollout buffer and GAE(λ) advantages.

An on-policy agent (A2C, PPO) plays T steps in each of N environments with its current policy,
stores what it saw, computes how much better than expected each action turned out (the
advantage Âₜ), learns from that batch once (A2C) or for a few epochs (PPO), then throws it away.

Generalised advantage estimation (Schulman et al., 2016), with V the critic's values:

    δₜ = rₜ + γ V(sₜ₊₁) (1 − dₜ) − V(sₜ)                 (the TD error of step t)
    Âₜ = δₜ + γλ (1 − dₜ) Âₜ₊₁                            (computed backwards from t = T−1)
    Rₜ = Âₜ + V(sₜ)                                        (the critic's regression target)

where dₜ = 1 when step t ended its episode (nothing is bootstrapped past an end). λ = 0 gives
the one-step TD error Âₜ = δₜ; λ = 1 gives the Monte Carlo return minus the baseline,
Âₜ = Σₖ γᵏ rₜ₊ₖ (+ γ^{T−t} V(s_T) at the cut) − V(sₜ). Values in between trade bias for
variance. A time-limit truncation is not a real end: the agent adds γ V(s_final) to the last
reward and marks the step done, so the estimate stays unbiased.

>>> import numpy as np
>>> adv, ret = compute_gae(np.array([[1.0], [1.0]]), np.array([[0.5], [0.5]]),
...                        np.array([[0.0], [1.0]]), np.array([0.5]), gamma=1.0, gae_lambda=1.0)
>>> adv.ravel().tolist(), ret.ravel().tolist()
([1.5, 0.5], [2.0, 1.0])
"""

import numpy as np


def compute_gae(rewards, values, dones, last_values, gamma=0.99, gae_lambda=0.95):
    """GAE(λ) advantages and returns for arrays of shape (T, n_envs).

    ``rewards[t]``, ``values[t]`` = V(sₜ), ``dones[t]`` = 1 if step t ended the episode;
    ``last_values`` = V(s_T), the value of the observation after the last step (n_envs,).
    Returns ``(advantages, returns)`` in the inputs' float dtype (float32 at least).
    """
    rewards = np.asarray(rewards)
    values = np.asarray(values)
    dones = np.asarray(dones)
    if not (rewards.shape == values.shape == dones.shape) or rewards.ndim != 2:
        raise ValueError("compute_gae expects rewards, values and dones of one shape "
                         f"(n_steps, n_envs). Received: rewards.shape={rewards.shape}, "
                         f"values.shape={values.shape}, dones.shape={dones.shape}")
    dtype = np.result_type(rewards.dtype, values.dtype, np.float32)
    next_values = np.concatenate([values[1:], np.reshape(last_values, (1, -1))]).astype(dtype)
    alive = 1.0 - dones.astype(dtype)
    deltas = rewards + gamma * next_values * alive - values
    advantages = np.zeros_like(deltas)
    running = np.zeros(deltas.shape[1], dtype)
    for t in range(len(deltas) - 1, -1, -1):
        running = deltas[t] + gamma * gae_lambda * alive[t] * running
        advantages[t] = running
    return advantages, advantages + values


class RolloutBuffer:
    """T steps × N environments of on-policy experience, then minibatches of it.

    ``add`` one step for every environment; when ``full`` (or when the step budget ends
    earlier), call ``compute_returns_and_advantage(last_values)`` and read minibatches of the
    stored steps with ``get``; ``reset`` starts the next rollout. Arrays are NumPy, allocated
    once.
    """

    def __init__(self, n_steps, n_envs, obs_shape, action_shape, obs_dtype=np.float32,
                 action_dtype=np.float32, gamma=0.99, gae_lambda=0.95):
        if int(n_steps) < 1 or int(n_envs) < 1:
            raise ValueError("RolloutBuffer expects n_steps >= 1 and n_envs >= 1. "
                             f"Received: n_steps={n_steps}, n_envs={n_envs}")
        self.n_steps, self.n_envs = int(n_steps), int(n_envs)
        self.gamma, self.gae_lambda = float(gamma), float(gae_lambda)
        shape = (self.n_steps, self.n_envs)
        self.observations = np.zeros(shape + tuple(obs_shape), dtype=obs_dtype)
        self.actions = np.zeros(shape + tuple(action_shape), dtype=action_dtype)
        self.rewards = np.zeros(shape, np.float32)
        self.dones = np.zeros(shape, np.float32)
        self.values = np.zeros(shape, np.float32)
        self.log_probs = np.zeros(shape, np.float32)
        self.advantages = np.zeros(shape, np.float32)
        self.returns = np.zeros(shape, np.float32)
        self.pos = 0

    @property
    def full(self):
        return self.pos == self.n_steps

    def reset(self):
        self.pos = 0

    def add(self, obs, action, reward, done, value, log_prob):
        """Store one step of every environment (each argument has n_envs rows)."""
        if self.full:
            raise RuntimeError(f"RolloutBuffer is full ({self.n_steps} steps); call reset() "
                               "after learning from it.")
        t = self.pos
        self.observations[t] = np.reshape(obs, self.observations.shape[1:])
        self.actions[t] = np.reshape(action, self.actions.shape[1:])
        self.rewards[t] = reward
        self.dones[t] = done
        self.values[t] = np.reshape(value, -1)
        self.log_probs[t] = np.reshape(log_prob, -1)
        self.pos += 1

    def compute_returns_and_advantage(self, last_values):
        """Fill ``advantages`` and ``returns`` of the steps stored so far by GAE(λ);
        ``last_values`` = V(s) per env for the observation after the last stored step."""
        t = self.pos
        if t == 0:
            raise RuntimeError("RolloutBuffer is empty; add steps before computing advantages.")
        self.advantages[:t], self.returns[:t] = compute_gae(
            self.rewards[:t], self.values[:t], self.dones[:t], np.reshape(last_values, -1),
            self.gamma, self.gae_lambda)

    def grown(self):
        """A buffer of twice the steps holding this one's (REINFORCE's episodes have no fixed
        length)."""
        bigger = RolloutBuffer(2 * self.n_steps, self.n_envs, self.observations.shape[2:],
                               self.actions.shape[2:], self.observations.dtype,
                               self.actions.dtype, self.gamma, self.gae_lambda)
        for name in ("observations", "actions", "rewards", "dones", "values", "log_probs",
                     "advantages", "returns"):
            getattr(bigger, name)[:self.pos] = getattr(self, name)[:self.pos]
        bigger.pos = self.pos
        return bigger

    def get(self, batch_size=None, rng=None):
        """Minibatches (dicts of flat arrays over all T·N samples), in a random order when
        ``rng`` is given; ``batch_size=None`` yields the whole rollout at once."""
        n = self.pos * self.n_envs
        flat = {name: getattr(self, name)[:self.pos].reshape((n,) + getattr(self, name).shape[2:])
                for name in ("observations", "actions", "values", "log_probs", "advantages",
                             "returns")}
        order = np.arange(n) if rng is None else rng.permutation(n)
        size = n if batch_size is None else int(batch_size)
        for start in range(0, n, size):
            idx = order[start:start + size]
            yield {name: array[idx] for name, array in flat.items()}
