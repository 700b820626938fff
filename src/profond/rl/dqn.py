"""Deep Q-Network (Mnih et al., 2015), with Double DQN (van Hasselt et al., 2016).

Q-learning with a network ``Q(s, a; θ)``. Each environment step goes into a replay buffer; every
``train_freq`` steps, ``gradient_steps`` minibatches of ``B`` transitions ``(sᵢ, aᵢ, rᵢ, s'ᵢ,
dᵢ)`` are drawn and θ takes one Adam step on the Huber loss ``ℓ`` (quadratic below 1, linear
above: a large TD error does not blow the gradient up)::

    yᵢ = rᵢ + γ (1 − dᵢ) Q(s'ᵢ, a*ᵢ; θ⁻)        a*ᵢ = argmax_a Q(s'ᵢ, a; θ)    (Double DQN)
                                                 a*ᵢ = argmax_a Q(s'ᵢ, a; θ⁻)   (double_q=False)
    J(θ) = 1/B Σᵢ ℓ(Q(sᵢ, aᵢ; θ) − yᵢ)

The target network θ⁻ follows θ every ``target_update_interval`` steps (``θ⁻ ← τθ + (1 − τ)θ⁻``),
so that the targets do not move with each step; the gradients are clipped to a global norm of
``max_grad_norm``. The agent acts ε-greedily, ε decaying linearly from
``exploration_initial_eps`` to ``exploration_final_eps`` over the first ``exploration_fraction``
of the steps (random actions only before ``learning_starts``).

>>> import profond.rl                                                      # doctest: +SKIP
>>> agent = profond.rl.DQN("MlpPolicy", "CartPole-v1", learning_rate=2.3e-3, batch_size=64,
...                        buffer_size=100_000, learning_starts=1000, target_update_interval=10,
...                        train_freq=256, gradient_steps=128, exploration_fraction=0.16,
...                        exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]),
...                        seed=0).learn(50_000)                           # doctest: +SKIP
>>> profond.rl.evaluate_policy(agent, agent.env, n_eval_episodes=100)    # doctest: +SKIP
(500.0, 0.0)
"""

import numpy
from gymnasium import spaces

from profond._validation import boolean, fail, integer, real
from profond.autodiff.tape import GradientTape
from profond.losses import huber
from profond.ops import reduce_mean, reduce_sum
from profond.optimizers import Adam
from profond.rl.base import Agent, register_agent
from profond.rl.buffers import ReplayBuffer
from profond.rl.policies import MlpPolicy
from profond.saving.limits import FileFormatError

__all__ = ["DQN"]

_POLICY_KWARGS = ("net_arch", "activation_fn")


@register_agent
class DQN(Agent):
    """Deep Q-Network, Stable-Baselines3's arguments and defaults (plus ``double_q``).

    Args:
        policy: ``"MlpPolicy"`` (``policy_kwargs``: ``net_arch`` (default ``[64, 64]``),
            ``activation_fn`` (default ``"relu"``)).
        env: a Gymnasium environment (or id) with a ``Discrete`` action space and ``Box`` or
            ``Discrete`` observations.
        learning_rate: Adam's step size η (or a schedule of the remaining progress).
        buffer_size: transitions the replay buffer keeps.
        learning_starts: steps taken at random before training starts.
        batch_size: transitions per gradient step.
        tau: the Polyak coefficient of the target update (1: copy).
        gamma: the discount factor γ.
        train_freq: train every ``train_freq`` steps, or ``(n, "step")`` / ``(n, "episode")``.
        gradient_steps: gradient steps per training round (-1: as many as steps collected).
        target_update_interval: steps between two target updates.
        exploration_fraction: the fraction of ``total_timesteps`` over which ε decays.
        exploration_initial_eps, exploration_final_eps: ε at the start and the end.
        max_grad_norm: the gradients' global norm is clipped to it (None: no clipping).
        double_q: Double DQN targets (SB3's DQN has none: pass False to match it).
        policy_kwargs, seed, verbose: see ``Agent``.

    Attributes: ``q_net``, ``q_net_target`` (``QNetwork``s; ``.model`` is the profond
    ``Sequential``), ``replay_buffer``, ``optimizer``, ``exploration_rate``, ``n_updates``.
    """

    policy_aliases = {"MlpPolicy": MlpPolicy}
    observation_spaces = (spaces.Box, spaces.Discrete)
    action_spaces = (spaces.Discrete,)
    default_log_interval = 4

    def __init__(self, policy, env, learning_rate=1e-4, buffer_size=1_000_000,
                 learning_starts=100, batch_size=32, tau=1.0, gamma=0.99, train_freq=4,
                 gradient_steps=1, target_update_interval=10_000, exploration_fraction=0.1,
                 exploration_initial_eps=1.0, exploration_final_eps=0.05, max_grad_norm=10,
                 double_q=True, policy_kwargs=None, verbose=0, seed=None):
        super().__init__(policy, env, learning_rate=learning_rate, gamma=gamma, seed=seed,
                         verbose=verbose, policy_kwargs=policy_kwargs)
        name = "DQN"
        self.buffer_size = integer("buffer_size", buffer_size, name, minimum=1)
        self.learning_starts = integer("learning_starts", learning_starts, name, minimum=0)
        self.batch_size = integer("batch_size", batch_size, name, minimum=1)
        self.tau = real("tau", tau, name, low=0, high=1, low_open=True)
        self.train_freq = self._check_train_freq(train_freq)
        self.gradient_steps = integer("gradient_steps", gradient_steps, name, minimum=-1)
        if self.gradient_steps == 0:
            raise fail("gradient_steps", gradient_steps, "an integer >= 1, or -1", name)
        self.target_update_interval = integer("target_update_interval",
                                              target_update_interval, name, minimum=1)
        self.exploration_fraction = real("exploration_fraction", exploration_fraction, name,
                                         low=0, high=1)
        self.exploration_initial_eps = real("exploration_initial_eps",
                                            exploration_initial_eps, name, low=0, high=1)
        self.exploration_final_eps = real("exploration_final_eps", exploration_final_eps, name,
                                          low=0, high=1)
        self.max_grad_norm = None if max_grad_norm is None else real(
            "max_grad_norm", max_grad_norm, name, low=0, low_open=True)
        self.double_q = boolean("double_q", double_q, name)
        unknown = sorted(set(self.policy_kwargs) - set(_POLICY_KWARGS))
        if unknown:
            raise fail("policy_kwargs", self.policy_kwargs,
                       f"a dict with keys among {list(_POLICY_KWARGS)} (unknown: {unknown})",
                       name)
        self.policy = self.policy_class(self.observation_space, self.action_space,
                                        where=name, **self.policy_kwargs)
        self.q_net = self.policy.make_q_net("q_net")
        self.q_net_target = self.policy.make_q_net("q_net_target")
        self.q_net_target.copy_from(self.q_net)
        self.optimizer = Adam(self._current_learning_rate(), epsilon=1e-8,
                              global_clipnorm=self.max_grad_norm)
        self.optimizer.build(self.q_net.trainable_variables)
        self.replay_buffer = ReplayBuffer(self.buffer_size, self.observation_space,
                                          self.action_space)
        self.exploration_rate = self.exploration_initial_eps
        self.n_updates = 0
        self._n_calls = 0  # steps since the agent was made: the target update's clock
        self._since_train = 0  # steps (or episodes) collected since the last training round
        self._steps_since_train = 0
        self._n_actions = int(self.action_space.n)
        self._action_start = int(self.action_space.start)
        self._one_hot = numpy.eye(self._n_actions, dtype=numpy.float32)

    @staticmethod
    def _check_train_freq(train_freq):
        unit = "step"
        if isinstance(train_freq, (tuple, list)) and len(train_freq) == 2:
            train_freq, unit = train_freq
        if unit not in ("step", "episode"):
            raise fail("train_freq", (train_freq, unit), 'an integer, or (n, "step") or '
                       '(n, "episode")', "DQN")
        return integer("train_freq", train_freq, "DQN", minimum=1), unit

    # ------------------------------------------------------------------------------------------
    # Acting
    # ------------------------------------------------------------------------------------------
    def _single_input(self, observation):
        return self.network_input(numpy.asarray(observation)[None])

    def _predict(self, observations, deterministic):
        actions = self.q_net.values(self.network_input(observations)).argmax(axis=1)
        if not deterministic and self.exploration_rate > 0:
            explore = self.rng.random(len(actions)) < self.exploration_rate
            actions[explore] = self.rng.integers(0, self._n_actions, int(explore.sum()))
        return actions + self._action_start

    def _act(self, observation):
        """ε-greedy; uniformly random before ``learning_starts``."""
        if self.num_timesteps < self.learning_starts or (
                self.rng.random() < self.exploration_rate):
            return int(self.rng.integers(self._n_actions)) + self._action_start
        values = self.q_net.values(self._single_input(observation))
        return int(values.argmax()) + self._action_start

    def _exploration(self):
        """ε now: linear from the initial to the final value over ``exploration_fraction``."""
        progress = 1.0 - self._progress_remaining
        if self.exploration_fraction == 0 or progress >= self.exploration_fraction:
            return self.exploration_final_eps
        return self.exploration_initial_eps + progress * (
            self.exploration_final_eps - self.exploration_initial_eps) / self.exploration_fraction

    # ------------------------------------------------------------------------------------------
    # Learning
    # ------------------------------------------------------------------------------------------
    def _on_transition(self, obs, action, reward, new_obs, terminated, truncated, info):
        self.replay_buffer.add(obs, new_obs, action - self._action_start, reward, terminated)
        self._n_calls += 1
        if self._n_calls % self.target_update_interval == 0:
            self.q_net_target.copy_from(self.q_net, self.tau)
        self.exploration_rate = self._exploration()
        self._steps_since_train += 1
        frequency, unit = self.train_freq
        if unit == "step" or terminated or truncated:
            self._since_train += 1
        if self._since_train < frequency:
            return
        steps = self._steps_since_train
        self._since_train = self._steps_since_train = 0
        if self.num_timesteps > self.learning_starts:
            self.train(self.gradient_steps if self.gradient_steps > 0 else steps)

    def train(self, gradient_steps, batch_size=None):
        """``gradient_steps`` Adam steps on minibatches from the replay buffer."""
        batch_size = batch_size or self.batch_size
        self.optimizer.learning_rate = self._current_learning_rate()
        variables = self.q_net.trainable_variables
        losses = numpy.empty(gradient_steps)
        for i in range(gradient_steps):
            batch = self.replay_buffer.sample(batch_size, self.rng)
            with GradientTape() as tape:
                loss = self.loss(*batch)
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            losses[i] = float(loss.data)
        self.n_updates += gradient_steps
        mean_loss = float(losses.mean())
        self._record("loss", mean_loss)
        self.logger_values.update({"train/learning_rate": self.optimizer.learning_rate,
                                   "train/loss": mean_loss, "train/n_updates": self.n_updates})

    def td_targets(self, rewards, next_observations, dones):
        """yᵢ = rᵢ + γ (1 − dᵢ) Q(s'ᵢ, a*ᵢ; θ⁻) as a NumPy array (no gradient flows into it)."""
        x_next = self.network_input(next_observations)
        next_q = self.q_net_target.values(x_next)
        if self.double_q:
            best = self.q_net.values(x_next).argmax(axis=1)
            next_value = next_q[numpy.arange(len(best)), best]
        else:
            next_value = next_q.max(axis=1)
        return rewards + (1.0 - dones) * self.gamma * next_value

    def loss(self, observations, actions, rewards, next_observations, dones):
        """J(θ) = 1/B Σᵢ Huber(Q(sᵢ, aᵢ; θ) − yᵢ), a scalar ``Tensor`` (actions as indices
        0..n−1, as the buffer keeps them)."""
        target = self.td_targets(rewards, next_observations, dones)
        q = self.q_net.q(self.network_input(observations))
        q_taken = reduce_sum(q * self._one_hot[actions], axis=1, keepdims=True)
        return reduce_mean(huber(target[:, None], q_taken))

    def dump_logs(self, stream=None):
        self.logger_values["rollout/exploration_rate"] = self.exploration_rate
        super().dump_logs(stream)

    # ------------------------------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------------------------------
    def _networks(self):
        return {"q_net": self.q_net.model, "q_net_target": self.q_net_target.model}

    def _optimizers(self):
        return {"q_net": self.optimizer}

    def _get_config(self):
        frequency, unit = self.train_freq
        return {**super()._get_config(), "buffer_size": self.buffer_size,
                "learning_starts": self.learning_starts, "batch_size": self.batch_size,
                "tau": self.tau, "train_freq": [frequency, unit],
                "gradient_steps": self.gradient_steps,
                "target_update_interval": self.target_update_interval,
                "exploration_fraction": self.exploration_fraction,
                "exploration_initial_eps": self.exploration_initial_eps,
                "exploration_final_eps": self.exploration_final_eps,
                "max_grad_norm": self.max_grad_norm, "double_q": self.double_q}

    def _get_state(self):
        return {**super()._get_state(), "n_updates": self.n_updates, "n_calls": self._n_calls,
                "since_train": self._since_train, "steps_since_train": self._steps_since_train,
                "exploration_rate": self.exploration_rate}

    def _set_state(self, state):
        super()._set_state(state)
        for key in ("n_updates", "n_calls", "since_train", "steps_since_train"):
            value = state.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise FileFormatError(f"Expected the DQN's {key} to be an integer >= 0. "
                                      f"Received: {value!r:.80}")
        rate = state.get("exploration_rate")
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise FileFormatError(f"Expected the DQN's exploration_rate in [0, 1]. Received: "
                                  f"{rate!r:.80}")
        self.n_updates, self._n_calls = state["n_updates"], state["n_calls"]
        self._since_train = state["since_train"]
        self._steps_since_train = state["steps_since_train"]
        self.exploration_rate = float(rate)

    def _get_arrays(self, include_buffer):
        if not include_buffer:
            return {}
        return {f"buffer/{k}": v for k, v in self.replay_buffer.get_arrays().items()}

    def _set_arrays(self, arrays):
        unknown = [k for k in arrays if not k.startswith("buffer/")]
        if unknown:
            raise FileFormatError(f"Unexpected arrays for a DQN: {unknown[:5]}")
        if arrays:
            self.replay_buffer.set_arrays({k[len("buffer/"):]: v for k, v in arrays.items()})
