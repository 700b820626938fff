"""Proximal policy optimisation (Schulman et al., 2017), clipped objective, GAE(λ).

Like A2C, PPO collects ``n_steps`` steps with the current policy π_old and computes GAE(λ)
advantages Âₜ; then it learns from that rollout for ``n_epochs`` epochs of minibatches of
``batch_size``, maximising the clipped surrogate

    ρₜ(θ) = π_θ(aₜ|sₜ) / π_old(aₜ|sₜ) = exp(log π_θ − log π_old)
    L_clip = mean( min(ρₜ Âₜ, clip(ρₜ, 1 − ε, 1 + ε) Âₜ) )

which stops rewarding a change of the policy once ρ has left [1 − ε, 1 + ε]: many steps on the
same data cannot push π far from π_old. The loss minimised is

    L = −L_clip + vf_coef·mean((Rₜ − V(sₜ))²) − ent_coef·mean(H(π_θ(·|sₜ)))

with, when ``clip_range_vf`` is set, V(sₜ) replaced by V_old + clip(V − V_old, −ε_v, ε_v).
Advantages are standardised per minibatch (``normalize_advantage``), gradients clipped to
``max_grad_norm`` in global norm; ``target_kl`` stops the epochs early when the approximate
KL(π_old ‖ π_θ) ≈ mean((ρ − 1) − log ρ) exceeds 1.5 × target_kl. Argument names and defaults are
Stable-Baselines3's.

>>> import profond.rl                                                        # doctest: +SKIP
>>> agent = profond.rl.PPO("MlpPolicy", "CartPole-v1", n_steps=256, batch_size=256, n_epochs=20,
...                        gamma=0.98, gae_lambda=0.8, seed=0).learn(100_000)  # doctest: +SKIP
"""

import warnings

import numpy as np

from profond._validation import fail, integer, real
from profond.autodiff.tape import GradientTape
from profond.ops import clip_by_value, exp, minimum, reduce_mean, square
from profond.rl.base import register_agent
from profond.rl.policy_gradient import OnPolicyAgent

__all__ = ["PPO", "clipped_surrogate_loss", "value_loss"]


def clipped_surrogate_loss(log_prob, old_log_prob, advantages, clip_range):
    """−mean(min(ρ Â, clip(ρ, 1 − ε, 1 + ε) Â)) with ρ = exp(log π − log π_old): PPO's policy
    loss; ``log_prob`` is a Tensor, the others arrays (or Tensors) of the batch's shape.

    >>> import numpy as np
    >>> lp = np.log(np.array([1.5, 0.5]))        # ratios 1.5 and 0.5 (π_old = 1)
    >>> float(clipped_surrogate_loss(lp, np.zeros(2), np.array([1.0, 1.0]), 0.2).numpy())
    -0.85
    """
    ratio = exp(log_prob - old_log_prob)
    clipped = clip_by_value(ratio, 1 - clip_range, 1 + clip_range)
    return -reduce_mean(minimum(ratio * advantages, clipped * advantages))


def value_loss(values, returns, old_values=None, clip_range_vf=None):
    """mean((R − V)²); with ``clip_range_vf`` = ε_v, V is first kept within ε_v of the rollout's
    V_old: V_old + clip(V − V_old, −ε_v, ε_v) (SB3's form)."""
    if clip_range_vf is not None:
        values = clip_by_value(values - old_values, -clip_range_vf, clip_range_vf) + old_values
    return reduce_mean(square(values - returns))


def _schedule_or_number(name, value, where, allow_none=False):
    """A number > 0 (or None when allowed) or a schedule f(progress_remaining) kept as is."""
    if callable(value):
        return value
    return real(name, value, where, low=0, low_open=True, allow_none=allow_none)


@register_agent
class PPO(OnPolicyAgent):
    """Proximal policy optimisation with the clipped objective (see the module docstring).

    Args:
        policy: ``"MlpPolicy"`` (``ActorCriticPolicy``: separate actor and critic MLPs).
        env: a ``gymnasium.Env`` or an id; ``Box``/``Discrete`` observations,
            ``Discrete``/``Box`` actions.
        learning_rate: η, or a schedule f(progress_remaining) (``linear_schedule(3e-4)``).
        n_steps: steps collected per rollout (per update).
        batch_size: minibatch size (≥ 2, ≤ n_steps).
        n_epochs: passes over each rollout.
        gamma, gae_lambda: discount γ and GAE's λ.
        clip_range: ε of the ratio's clip, or a schedule.
        clip_range_vf: ε_v of the value clip (None: no clipping), or a schedule.
        normalize_advantage: standardise Â per minibatch.
        ent_coef, vf_coef: weights of the entropy bonus and of the value loss.
        max_grad_norm: clip the gradients to this global norm (None: no clipping).
        target_kl: stop the epochs early above 1.5 × target_kl (None: never).
        seed, verbose, policy_kwargs: as every agent (``policy_kwargs``: ``net_arch``,
            ``activation_fn``, ``ortho_init``, ``log_std_init``).
    """

    def __init__(self, policy, env, learning_rate=3e-4, n_steps=2048, batch_size=64,
                 n_epochs=10, gamma=0.99, gae_lambda=0.95, clip_range=0.2, clip_range_vf=None,
                 normalize_advantage=True, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5,
                 target_kl=None, seed=None, verbose=0, policy_kwargs=None):
        name = type(self).__name__
        self.batch_size = integer("batch_size", batch_size, name, minimum=2)
        n_steps = integer("n_steps", n_steps, name, minimum=1)
        if self.batch_size > n_steps:
            raise fail("batch_size", batch_size,
                       f"at most n_steps={n_steps} (a minibatch is taken from one rollout)", name)
        if n_steps % self.batch_size:
            warnings.warn(f"`{name}`: n_steps={n_steps} is not a multiple of batch_size="
                          f"{batch_size}: each epoch ends with a minibatch of "
                          f"{n_steps % self.batch_size}.", stacklevel=2)
        self.n_epochs = integer("n_epochs", n_epochs, name, minimum=1)
        self.clip_range = _schedule_or_number("clip_range", clip_range, name)
        self.clip_range_vf = _schedule_or_number("clip_range_vf", clip_range_vf, name,
                                                 allow_none=True)
        self.target_kl = real("target_kl", target_kl, name, low=0, low_open=True,
                              allow_none=True)
        super().__init__(policy, env, learning_rate=learning_rate, n_steps=n_steps, gamma=gamma,
                         gae_lambda=gae_lambda, ent_coef=ent_coef, vf_coef=vf_coef,
                         max_grad_norm=max_grad_norm, normalize_advantage=normalize_advantage,
                         seed=seed, verbose=verbose, policy_kwargs=policy_kwargs)

    def _now(self, value):
        return float(value(self._progress_remaining)) if callable(value) else value

    def _train(self):
        """``n_epochs`` passes of minibatches over the rollout (see the module docstring)."""
        clip = self._now(self.clip_range)
        clip_vf = self._now(self.clip_range_vf)
        stats = {"policy_loss": [], "value_loss": [], "entropy": [], "approx_kl": [],
                 "clip_fraction": []}
        stop = False
        for _ in range(self.n_epochs):
            for batch in self.rollout_buffer.get(self.batch_size, self.rng):
                adv = self._advantages(batch)
                with GradientTape() as tape:
                    x = self.network_input(batch["observations"])
                    dist = self.policy.distribution(x)
                    log_prob = dist.log_prob(batch["actions"])
                    policy_loss = clipped_surrogate_loss(log_prob, batch["log_probs"], adv, clip)
                    v_loss = value_loss(self.policy.value(x), batch["returns"], batch["values"],
                                        clip_vf)
                    entropy = reduce_mean(dist.entropy())
                    loss = policy_loss + self.vf_coef * v_loss - self.ent_coef * entropy
                log_ratio = log_prob.numpy() - batch["log_probs"]
                approx_kl = float(np.mean(np.expm1(log_ratio) - log_ratio))
                stats["approx_kl"].append(approx_kl)
                if self.target_kl is not None and approx_kl > 1.5 * self.target_kl:
                    stop = True  # this minibatch moved π too far already: no step on it
                    break
                self._gradient_step(loss, tape)
                stats["policy_loss"].append(float(policy_loss.numpy()))
                stats["value_loss"].append(float(v_loss.numpy()))
                stats["entropy"].append(float(entropy.numpy()))
                stats["clip_fraction"].append(float(np.mean(np.abs(np.exp(log_ratio) - 1)
                                                            > clip)))
            if stop:
                break
        self._log(**{k: np.mean(v) for k, v in stats.items() if v}, clip_range=clip)

    def _get_config(self):
        config = super()._get_config()
        for key in ("clip_range", "clip_range_vf"):
            if callable(getattr(self, key)):
                raise ValueError(f"`PPO.save`: a {key} schedule (a function) cannot be saved in "
                                 f"a file. Expected a number. Received: {key}="
                                 f"{getattr(self, key)!r}")
        return {**config, "batch_size": self.batch_size, "n_epochs": self.n_epochs,
                "clip_range": self.clip_range, "clip_range_vf": self.clip_range_vf,
                "target_kl": self.target_kl}
