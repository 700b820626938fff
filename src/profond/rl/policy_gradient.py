"""Policy-gradient agents: the actor-critic policy, REINFORCE with a baseline, and A2C.

A stochastic policy π_θ(a | s) is improved along the policy gradient (the policy-gradient
theorem, the estimator of REINFORCE)

    ∇θ J(θ) = 𝔼[ Σₜ ∇θ log π_θ(aₜ | sₜ) Âₜ ],

where Âₜ says how much better aₜ did than expected. A critic V_φ(s), trained by regression on the
returns, gives the baseline that makes Âₜ low-variance without biasing the gradient:

- ``REINFORCE``: whole episodes, Âₜ = Gₜ − V(sₜ) with the Monte Carlo return Gₜ = Σₖ γᵏ rₜ₊ₖ;
- ``A2C``: n-step rollouts, Âₜ by GAE(λ) (``profond.rl.rollout``), one update per rollout;
- ``PPO`` (``profond.rl.ppo``): the same rollouts, several epochs of a clipped objective.

All three minimise, on a batch of their own fresh experience,

    L(θ, φ) = −mean(Âₜ log π_θ(aₜ|sₜ)) + c_v·mean((Rₜ − V_φ(sₜ))²) − c_H·mean(H(π_θ(·|sₜ)))

(the entropy bonus c_H keeps the policy exploring). Discrete actions use a ``Categorical`` over
logits, continuous (``Box``) actions a ``DiagGaussian`` with a learned, state-independent log σ;
the sampled action is clipped to the space's bounds when sent to the environment only.

>>> import profond.rl                                                   # doctest: +SKIP
>>> agent = profond.rl.A2C("MlpPolicy", "CartPole-v1", seed=0).learn(50_000)   # doctest: +SKIP
"""

import math

import numpy as np
from gymnasium import spaces

from profond import activations
from profond._validation import fail, integer, real
from profond.autodiff.mode import no_grad
from profond.autodiff.tape import GradientTape
from profond.initializers import Constant, Orthogonal
from profond.layers import Dense, Input
from profond.models import Model, Sequential
from profond.ops import reduce_mean, reshape, square
from profond.optimizers import Adam, RMSprop
from profond.rl.base import Agent, register_agent
from profond.rl.distributions import Categorical, DiagGaussian
from profond.rl.policies import QNetwork
from profond.rl.rollout import RolloutBuffer

__all__ = ["A2C", "ActorCriticPolicy", "OnPolicyAgent", "REINFORCE", "linear_schedule"]


def linear_schedule(initial_value):
    """A schedule ``f(progress_remaining) = progress_remaining · initial_value``: from the value
    at the start of ``learn`` down to 0 at its end (RL Zoo's ``lin_<value>``).

    >>> linear_schedule(0.001)(0.5)
    0.0005
    """
    initial_value = real("initial_value", initial_value, "linear_schedule", low=0)

    def schedule(progress_remaining):
        return progress_remaining * initial_value

    return schedule


def _mlp(input_dim, hidden, output_dim, activation, output_gain, ortho_init):
    """Dense layers ``hidden`` (with ``activation``) then a linear output of ``output_dim``.
    Orthogonal initialisation (gain √2 inside, ``output_gain`` at the output) as SB3's."""
    def init(gain):
        return Orthogonal(gain) if ortho_init else "glorot_uniform"

    return Sequential([Input((input_dim,))]
                      + [Dense(n, activation, kernel_initializer=init(math.sqrt(2)))
                         for n in hidden]
                      + [Dense(output_dim, kernel_initializer=init(output_gain))])


class ActorCriticPolicy(Model):
    """The actor π_θ(a|s) and the critic V_φ(s): two MLPs on the observation (SB3's default
    ``net_arch=dict(pi=[64, 64], vf=[64, 64])``, tanh), and for ``Box`` actions a learned
    ``log_std`` (one per action dimension, independent of the state).

    Args:
        observation_space, action_space: the agent's spaces (``Box``/``Discrete`` observations,
            ``Discrete``/``Box`` actions).
        net_arch: a list of hidden sizes for both networks, or ``dict(pi=[...], vf=[...])``.
        activation_fn: the hidden layers' activation (a Keras name such as ``"tanh"``, ``"relu"``).
        ortho_init: orthogonal initialisation (gains √2, 0.01 for the action logits/mean, 1 for
            the value) as in SB3; False: Glorot uniform.
        log_std_init: the initial log σ of Gaussian policies.
    """

    def __init__(self, observation_space, action_space, net_arch=None, activation_fn="tanh",
                 ortho_init=True, log_std_init=0.0, name=None):
        super().__init__(name=name)
        where = "ActorCriticPolicy"
        if net_arch is None:
            net_arch = {"pi": [64, 64], "vf": [64, 64]}
        if isinstance(net_arch, (list, tuple)):
            net_arch = {"pi": list(net_arch), "vf": list(net_arch)}
        if not isinstance(net_arch, dict) or set(net_arch) != {"pi", "vf"}:
            raise fail("net_arch", net_arch, "a list of layer sizes or dict(pi=[...], vf=[...])",
                       where)
        for key in ("pi", "vf"):
            for n in net_arch[key]:
                integer(f"net_arch[{key!r}]", n, where, minimum=1)
        self.net_arch = {k: [int(n) for n in v] for k, v in net_arch.items()}
        self.activation_fn = activations.serialize(activations.get(activation_fn))
        self.ortho_init = bool(ortho_init)
        self.log_std_init = real("log_std_init", log_std_init, where)
        self.discrete = isinstance(action_space, spaces.Discrete)
        if isinstance(observation_space, spaces.Discrete):
            n_inputs = int(observation_space.n)
        else:
            n_inputs = int(np.prod(observation_space.shape))
        n_outputs = int(action_space.n) if self.discrete else int(np.prod(action_space.shape))
        self.pi_net = _mlp(n_inputs, self.net_arch["pi"], n_outputs, self.activation_fn, 0.01,
                           self.ortho_init)
        self.vf_net = _mlp(n_inputs, self.net_arch["vf"], 1, self.activation_fn, 1.0,
                           self.ortho_init)
        if not self.discrete:
            self.log_std = self.add_weight(shape=(n_outputs,), name="log_std",
                                           initializer=Constant(self.log_std_init))
        # NOTE: the agent evaluates both networks once per environment step on one observation;
        # QNetwork (profond.rl.policies) feeds their variables to the dense op directly, without
        # Layer.__call__'s bookkeeping: the same numbers, several times faster.
        self._pi = QNetwork(self.pi_net, self.activation_fn)
        self._vf = QNetwork(self.vf_net, self.activation_fn)

    def _distribution(self, out):
        return Categorical(out) if self.discrete else DiagGaussian(out, self.log_std)

    def distribution(self, x):
        """π_θ(·|s) for a batch of network inputs ``x`` (recorded for gradients)."""
        return self._distribution(self._pi.q(x))

    def value(self, x):
        """V_φ(s) for a batch of network inputs, shape (batch,) (recorded for gradients)."""
        return reshape(self._vf.q(x), (-1,))

    def predict_values(self, x):
        """V_φ(s) as a NumPy array of shape (batch,), outside any graph."""
        return self._vf.values(x)[:, 0]

    def act(self, x, rng, deterministic=False):
        """``(actions, values, log π(actions))`` as NumPy arrays for a batch of inputs, outside
        any graph: what the agent needs at each step."""
        with no_grad():
            dist = self._distribution(self._pi.values(x))
            actions = dist.mode() if deterministic else dist.sample(rng)
            return actions, self.predict_values(x), dist.log_prob(actions).numpy()

    def call(self, x):
        out = self.pi_net(x)
        return out, self.vf_net(x)


class OnPolicyAgent(Agent):
    """What A2C, PPO and REINFORCE share: the actor-critic policy, rollout collection into a
    ``RolloutBuffer``, the bootstrapping of time-limit truncations, acting and files.

    Subclasses set their defaults and write ``_train()``, one update from ``self.rollout_buffer``.
    """

    policy_aliases = {"MlpPolicy": ActorCriticPolicy}
    observation_spaces = (spaces.Box, spaces.Discrete)
    action_spaces = (spaces.Discrete, spaces.Box)
    default_log_interval = 1  # updates between two tables when verbose=1

    def __init__(self, policy, env, *, learning_rate, n_steps, gamma, gae_lambda, ent_coef,
                 vf_coef, max_grad_norm, normalize_advantage, seed=None, verbose=0,
                 policy_kwargs=None):
        super().__init__(policy, env, learning_rate=learning_rate, gamma=gamma, seed=seed,
                         verbose=verbose, policy_kwargs=policy_kwargs)
        name = type(self).__name__
        self.n_steps = integer("n_steps", n_steps, name, minimum=1)
        self.gae_lambda = real("gae_lambda", gae_lambda, name, low=0, high=1)
        self.ent_coef = real("ent_coef", ent_coef, name)
        self.vf_coef = real("vf_coef", vf_coef, name, low=0)
        self.max_grad_norm = real("max_grad_norm", max_grad_norm, name, low=0, low_open=True,
                                  allow_none=True)
        if not isinstance(normalize_advantage, (bool, np.bool_)):
            raise fail("normalize_advantage", normalize_advantage, "a bool", name, TypeError)
        self.normalize_advantage = bool(normalize_advantage)
        try:
            self.policy = self.policy_class(self.observation_space, self.action_space,
                                            **self.policy_kwargs)
        except TypeError as e:
            raise TypeError(f"`{name}`: Expected `policy_kwargs` to hold arguments of "
                            f"{self.policy_class.__name__} (net_arch, activation_fn, ortho_init, "
                            f"log_std_init). Received: {self.policy_kwargs} ({e})") from None
        self.optimizer = self._make_optimizer()
        self._n_updates = 0
        self._pending = None  # (raw action, value, log π) of the step being taken
        self.rollout_buffer = self._make_buffer(self.n_steps)

    # --- pieces the subclasses may change -----------------------------------------------------
    def _make_optimizer(self):
        """Adam with ε = 1e-5 (SB3's setting for its actor-critic policies), gradients clipped
        to ``max_grad_norm`` in global norm."""
        return Adam(self._current_learning_rate(), epsilon=1e-5,
                    global_clipnorm=self.max_grad_norm)

    def _make_buffer(self, n_steps):
        discrete = isinstance(self.action_space, spaces.Discrete)
        obs_shape = (() if isinstance(self.observation_space, spaces.Discrete)
                     else self.observation_space.shape)
        return RolloutBuffer(
            n_steps, 1, obs_shape, () if discrete else self.action_space.shape,
            obs_dtype=np.int64 if obs_shape == () else np.float32,
            action_dtype=np.int64 if discrete else np.float32,
            gamma=self.gamma, gae_lambda=self.gae_lambda)

    def _rollout_complete(self):
        return self.rollout_buffer.full

    def _train(self):
        raise NotImplementedError(f"{type(self).__name__} does not define _train.")

    # --- acting -------------------------------------------------------------------------------
    def _clip_action(self, actions):
        """Actions as the environment takes them: Gaussian samples clipped to the ``Box``."""
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            return actions + int(space.start)
        shaped = actions.reshape((-1,) + space.shape)
        return np.clip(shaped, space.low, space.high).astype(space.dtype)

    def _predict(self, observations, deterministic):
        actions, _, _ = self.policy.act(self.network_input(observations), self.rng,
                                        deterministic)
        return self._clip_action(actions)

    def _value_of(self, observation):
        x = self.network_input(np.asarray(observation)[None])
        return float(self.policy.predict_values(x)[0])

    # --- learning -----------------------------------------------------------------------------
    def _run(self, callback, log_interval):
        """Collect a rollout, learn from it, repeat until the step budget is spent. With
        ``verbose=1`` the table is shown every ``log_interval`` updates (SB3's rhythm for
        on-policy agents), not after episodes."""
        self._log_interval = 0
        while self.num_timesteps < self._total_timesteps:
            if not self._collect_rollout(callback):
                break
            self.optimizer.learning_rate = self._current_learning_rate()
            self._train()
            self._n_updates += 1
            self.logger_values["train/n_updates"] = self._n_updates
            self.logger_values["train/learning_rate"] = self._current_learning_rate()
            if self.verbose >= 1 and self._n_updates % log_interval == 0:
                self.dump_logs()

    def _collect_rollout(self, callback):
        """Play with the current policy until the rollout is complete (or the budget spent);
        then compute the advantages. Returns False when the callback stopped training."""
        buffer = self.rollout_buffer
        buffer.reset()
        callback.on_rollout_start()
        while not self._rollout_complete() and self.num_timesteps < self._total_timesteps:
            raw, value, log_prob = self.policy.act(
                self.network_input(np.asarray(self._last_obs)[None]), self.rng)
            self._pending = (raw[0], value[0], log_prob[0])
            action = self._clip_action(raw)[0]
            if not self._env_step(action, callback):
                return False
        buffer.compute_returns_and_advantage(
            np.array([self._value_of(self._last_obs)], np.float32))
        callback.on_rollout_end()
        return True

    def _on_transition(self, obs, action, reward, new_obs, terminated, truncated, info):
        raw, value, log_prob = self._pending
        if truncated and not terminated:
            # NOTE: a time limit is not a real end: bootstrap with γ V(s_final), as SB3 does.
            reward = reward + self.gamma * self._value_of(new_obs)
        if self.rollout_buffer.full:
            self.rollout_buffer = self.rollout_buffer.grown()
        self.rollout_buffer.add(obs, raw, reward, terminated or truncated, value, log_prob)

    def _losses(self, batch, advantages):
        """The three terms on a batch: −mean(Â log π), mean((R − V)²) and mean(H)."""
        x = self.network_input(batch["observations"])
        dist = self.policy.distribution(x)
        log_prob = dist.log_prob(batch["actions"])
        policy_loss = -reduce_mean(log_prob * advantages)
        value_loss = reduce_mean(square(batch["returns"] - self.policy.value(x)))
        entropy = reduce_mean(dist.entropy())
        return policy_loss, value_loss, entropy

    def _advantages(self, batch):
        adv = batch["advantages"]
        if self.normalize_advantage and len(adv) > 1:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        return adv.astype(np.float32)

    def _actor_critic_step(self):
        """One gradient step on the whole rollout (A2C, REINFORCE)."""
        batch = next(self.rollout_buffer.get())
        with GradientTape() as tape:
            policy_loss, value_loss, entropy = self._losses(batch, self._advantages(batch))
            loss = policy_loss + self.vf_coef * value_loss - self.ent_coef * entropy
        self._gradient_step(loss, tape)
        self._log(policy_loss=policy_loss.numpy(), value_loss=value_loss.numpy(),
                  entropy=entropy.numpy(), loss=loss.numpy())

    def _gradient_step(self, loss, tape):
        variables = self.policy.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))

    def _log(self, **values):
        for key, value in values.items():
            self._record(key, value)
            self.logger_values[f"train/{key}"] = float(value)

    # --- files --------------------------------------------------------------------------------
    def _networks(self):
        return {"policy": self.policy}

    def _optimizers(self):
        return {"policy": self.optimizer}

    def _get_config(self):
        return {**super()._get_config(), "n_steps": self.n_steps, "gae_lambda": self.gae_lambda,
                "ent_coef": self.ent_coef, "vf_coef": self.vf_coef,
                "max_grad_norm": self.max_grad_norm,
                "normalize_advantage": self.normalize_advantage}

    def _get_state(self):
        return {**super()._get_state(), "n_updates": self._n_updates}

    def _set_state(self, state):
        super()._set_state(state)
        n_updates = state.get("n_updates", 0)
        if not isinstance(n_updates, int) or isinstance(n_updates, bool) or n_updates < 0:
            raise ValueError(f"Expected n_updates to be an integer >= 0. Received: {n_updates!r}")
        self._n_updates = n_updates


@register_agent
class A2C(OnPolicyAgent):
    """Advantage actor-critic (Mnih et al., 2016; SB3's synchronous version with one env).

    Every ``n_steps`` steps: GAE(λ) advantages, then one gradient step on
    L = −mean(Â log π) + vf_coef·mean((R − V)²) − ent_coef·mean(H), with RMSprop
    (ρ = 0.99, ε = ``rms_prop_eps``) or Adam, gradients clipped to ``max_grad_norm``.
    SB3's argument names and defaults.

    >>> import profond.rl                                                  # doctest: +SKIP
    >>> agent = profond.rl.A2C("MlpPolicy", "CartPole-v1", seed=0)         # doctest: +SKIP
    """

    default_log_interval = 100  # SB3's: A2C's updates are small and many

    def __init__(self, policy, env, learning_rate=7e-4, n_steps=5, gamma=0.99, gae_lambda=1.0,
                 ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5, rms_prop_eps=1e-5,
                 use_rms_prop=True, normalize_advantage=False, seed=None, verbose=0,
                 policy_kwargs=None):
        name = type(self).__name__
        self.rms_prop_eps = real("rms_prop_eps", rms_prop_eps, name, low=0, low_open=True)
        if not isinstance(use_rms_prop, (bool, np.bool_)):
            raise fail("use_rms_prop", use_rms_prop, "a bool", name, TypeError)
        self.use_rms_prop = bool(use_rms_prop)
        super().__init__(policy, env, learning_rate=learning_rate, n_steps=n_steps, gamma=gamma,
                         gae_lambda=gae_lambda, ent_coef=ent_coef, vf_coef=vf_coef,
                         max_grad_norm=max_grad_norm, normalize_advantage=normalize_advantage,
                         seed=seed, verbose=verbose, policy_kwargs=policy_kwargs)

    def _make_optimizer(self):
        if not self.use_rms_prop:
            return super()._make_optimizer()
        return RMSprop(self._current_learning_rate(), rho=0.99, epsilon=self.rms_prop_eps,
                       global_clipnorm=self.max_grad_norm)

    def _train(self):
        self._actor_critic_step()

    def _get_config(self):
        return {**super()._get_config(), "rms_prop_eps": self.rms_prop_eps,
                "use_rms_prop": self.use_rms_prop}


@register_agent
class REINFORCE(OnPolicyAgent):
    """REINFORCE with a learned baseline (Williams, 1992; Sutton & Barto §13.4).

    Plays ``n_episodes`` whole episodes with the current policy, then one gradient step on
    L = −mean((Gₜ − V(sₜ)) log π(aₜ|sₜ)) + vf_coef·mean((Gₜ − V(sₜ))²) − ent_coef·mean(H),
    with the Monte Carlo returns Gₜ = Σₖ γᵏ rₜ₊ₖ (GAE with λ = 1 and nothing bootstrapped, except
    past a time-limit truncation, and at the very end of ``learn`` if it cuts an episode).

    Args:
        n_episodes: episodes per update (their steps form one batch).
        normalize_advantage: standardise Gₜ − V(sₜ) over the batch.
        others: as ``A2C`` (Adam optimiser).
    """

    default_log_interval = 10

    def __init__(self, policy, env, learning_rate=1e-3, n_episodes=2, gamma=0.99,
                 ent_coef=0.0, vf_coef=0.5, max_grad_norm=None, normalize_advantage=True,
                 seed=None, verbose=0, policy_kwargs=None):
        self.n_episodes = integer("n_episodes", n_episodes, type(self).__name__, minimum=1)
        super().__init__(policy, env, learning_rate=learning_rate, n_steps=256, gamma=gamma,
                         gae_lambda=1.0, ent_coef=ent_coef, vf_coef=vf_coef,
                         max_grad_norm=max_grad_norm, normalize_advantage=normalize_advantage,
                         seed=seed, verbose=verbose, policy_kwargs=policy_kwargs)
        self._episodes_at_start = 0

    def _collect_rollout(self, callback):
        self._episodes_at_start = self._episode_num
        return super()._collect_rollout(callback)

    def _rollout_complete(self):
        return self._episode_num - self._episodes_at_start >= self.n_episodes

    def _train(self):
        self._actor_critic_step()

    def _get_config(self):
        config = super()._get_config()
        for key in ("n_steps", "gae_lambda"):  # fixed by the algorithm, not arguments
            del config[key]
        return {**config, "n_episodes": self.n_episodes}
