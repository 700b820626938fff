"""Policy-gradient pieces: action distributions (gradients, torch), GAE(λ) (a hand-computed case
and the λ = 0 / λ = 1 closed forms), the rollout buffer, REINFORCE with a baseline and A2C."""

import inspect

import gymnasium
import numpy as np
import pytest
import torch
from gymnasium import spaces

from profond.autodiff.tape import GradientTape
from profond.rl import A2C, REINFORCE, evaluate_policy, linear_schedule
from profond.rl.base import Agent
from profond.rl.callbacks import BaseCallback
from profond.rl.distributions import Categorical, DiagGaussian
from profond.rl.rollout import RolloutBuffer, compute_gae
from profond.testing import gradcheck
from profond.testing.torch_oracle import check_against_torch

RNG = np.random.default_rng(0)


# --- distributions -----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (1, 2), (4, 7)])
def test_categorical_log_prob_and_entropy_match_torch(shape):
    z = RNG.standard_normal(shape) * 2
    a = RNG.integers(0, shape[-1], shape[:-1])
    check_against_torch(lambda z: Categorical(z).log_prob(a),
                        lambda z: torch.distributions.Categorical(logits=z).log_prob(
                            torch.tensor(a)), [z])
    check_against_torch(lambda z: Categorical(z).entropy(),
                        lambda z: torch.distributions.Categorical(logits=z).entropy(), [z])


def test_categorical_gradients_float64():
    z = RNG.standard_normal((6, 4))
    a = RNG.integers(0, 4, 6)
    gradcheck(lambda z: Categorical(z).log_prob(a), [z])
    gradcheck(lambda z: Categorical(z).entropy(), [z])
    # the PPO ratio exp(log π − log π_old) is differentiable through log_prob too
    old = RNG.standard_normal(6)
    gradcheck(lambda z: Categorical(z).log_prob(a) - old, [z])


def test_categorical_stable_for_large_logits():
    d = Categorical(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.isfinite(d.log_prob(np.array([2])).numpy()).all()
    assert np.isfinite(d.entropy().numpy()).all()
    assert d.mode().tolist() == [0]


def test_categorical_sample_follows_probs():
    p = np.array([0.2, 0.5, 0.3])
    d = Categorical(np.log(np.tile(p, (40_000, 1))))
    counts = np.bincount(d.sample(np.random.default_rng(1)), minlength=3) / 40_000
    np.testing.assert_allclose(counts, p, atol=0.01)
    # the same generator state gives the same actions
    assert (d.sample(np.random.default_rng(3)) == d.sample(np.random.default_rng(3))).all()


@pytest.mark.parametrize("log_std_shape", [(2,), (5, 2)])
def test_diag_gaussian_matches_torch(log_std_shape):
    mean = RNG.standard_normal((5, 2))
    log_std = 0.3 * RNG.standard_normal(log_std_shape)
    act = RNG.standard_normal((5, 2))
    check_against_torch(
        lambda m, s: DiagGaussian(m, s).log_prob(act),
        lambda m, s: torch.distributions.Normal(m, s.exp()).log_prob(torch.tensor(act)).sum(-1),
        [mean, log_std])
    check_against_torch(
        lambda m, s: DiagGaussian(m, s).entropy(),
        lambda m, s: torch.distributions.Normal(m, s.exp()).entropy().sum(-1) + 0 * m.sum(-1),
        [mean, log_std])


def test_diag_gaussian_gradients_float64():
    mean = RNG.standard_normal((4, 3))
    log_std = 0.2 * RNG.standard_normal(3)
    act = RNG.standard_normal((4, 3))
    gradcheck(lambda m, s: DiagGaussian(m, s).log_prob(act), [mean, log_std])
    gradcheck(lambda s: DiagGaussian(mean, s).entropy(), [log_std])


def test_diag_gaussian_sample_and_mode():
    d = DiagGaussian(np.tile([1.0, -2.0], (50_000, 1)), np.log([0.5, 2.0]))
    s = d.sample(np.random.default_rng(0))
    np.testing.assert_allclose(s.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(s.std(0), [0.5, 2.0], rtol=0.02)
    assert d.mode()[0].tolist() == [1.0, -2.0]


def test_distribution_bad_shapes():
    with pytest.raises(ValueError, match="log_std broadcastable"):
        DiagGaussian(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="batch, n_actions"):
        Categorical(np.float64(1.0))


# --- GAE and the rollout buffer -----------------------------------------------------------------

def test_gae_hand_computed():
    # one env, 3 steps, the episode ends after step 1; γ = 0.9, λ = 0.5
    r = np.array([[1.0], [2.0], [0.5]])
    v = np.array([[0.4], [0.3], [0.2]])
    d = np.array([[0.0], [1.0], [0.0]])
    last = np.array([0.7])
    # δ₂ = 0.5 + 0.9·0.7 − 0.2 = 0.93 ;  Â₂ = 0.93
    # δ₁ = 2 + 0 − 0.3 = 1.7 ;           Â₁ = 1.7 (the end cuts Â₂ off)
    # δ₀ = 1 + 0.9·0.3 − 0.4 = 0.87 ;     Â₀ = 0.87 + 0.45·1.7 = 1.635
    adv, ret = compute_gae(r, v, d, last, gamma=0.9, gae_lambda=0.5)
    np.testing.assert_allclose(adv.ravel(), [1.635, 1.7, 0.93])
    np.testing.assert_allclose(ret.ravel(), [2.035, 2.0, 1.13])


def _random_rollout(t=7, n=3):
    r = RNG.standard_normal((t, n))
    v = RNG.standard_normal((t, n))
    d = (RNG.random((t, n)) < 0.25).astype(float)
    last = RNG.standard_normal(n)
    return r, v, d, last


def test_gae_lambda_zero_is_the_td_error():
    r, v, d, last = _random_rollout()
    g = 0.97
    adv, ret = compute_gae(r, v, d, last, gamma=g, gae_lambda=0.0)
    next_v = np.concatenate([v[1:], last[None]])
    np.testing.assert_allclose(adv, r + g * next_v * (1 - d) - v)
    np.testing.assert_allclose(ret, adv + v)


def test_gae_lambda_one_is_the_monte_carlo_return_minus_the_baseline():
    r, v, d, last = _random_rollout()
    g = 0.95
    adv, ret = compute_gae(r, v, d, last, gamma=g, gae_lambda=1.0)
    t_max, n = r.shape
    for e in range(n):
        for t in range(t_max):
            total, discount = 0.0, 1.0
            for k in range(t, t_max):
                total += discount * r[k, e]
                discount *= g
                if d[k, e]:
                    break
            else:  # the rollout was cut: bootstrap with V(s_T)
                total += discount * last[e]
            assert ret[t, e] == pytest.approx(total)
            assert adv[t, e] == pytest.approx(total - v[t, e])


def test_gae_bad_shapes():
    with pytest.raises(ValueError, match="one shape"):
        compute_gae(np.zeros((3, 2)), np.zeros((3, 1)), np.zeros((3, 2)), np.zeros(2))


def test_rollout_buffer_round_trip():
    buf = RolloutBuffer(4, 2, obs_shape=(3,), action_shape=(), action_dtype=np.int64,
                        gamma=0.9, gae_lambda=0.8)
    obs = RNG.standard_normal((4, 2, 3)).astype(np.float32)
    for t in range(4):
        buf.add(obs[t], np.array([t, t + 1]), np.ones(2), np.zeros(2), np.full(2, 0.5),
                np.full(2, -0.1))
    assert buf.full
    with pytest.raises(RuntimeError, match="full"):
        buf.add(obs[0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0])
    buf.compute_returns_and_advantage(np.zeros(2))
    adv, ret = compute_gae(buf.rewards, buf.values, buf.dones, np.zeros(2), 0.9, 0.8)
    np.testing.assert_allclose(buf.advantages, adv)
    batches = list(buf.get(batch_size=3, rng=np.random.default_rng(0)))
    assert [len(b["actions"]) for b in batches] == [3, 3, 2]
    seen = np.concatenate([b["observations"] for b in batches])
    # every sample once, in a shuffled order
    assert sorted(map(tuple, seen)) == sorted(map(tuple, obs.reshape(8, 3)))
    whole = next(buf.get())
    np.testing.assert_array_equal(whole["actions"], [0, 1, 1, 2, 2, 3, 3, 4])
    buf.reset()
    assert buf.pos == 0 and not buf.full


def test_rollout_buffer_partial_and_grown():
    buf = RolloutBuffer(3, 1, obs_shape=(2,), action_shape=(), gae_lambda=1.0)
    with pytest.raises(RuntimeError, match="empty"):
        buf.compute_returns_and_advantage(np.zeros(1))
    for t in range(3):
        buf.add(np.full(2, t), t, 1.0, 0.0, 0.0, 0.0)
    bigger = buf.grown()
    assert bigger.n_steps == 6 and bigger.pos == 3 and not bigger.full
    bigger.add(np.full(2, 3), 3, 1.0, 1.0, 0.0, 0.0)
    bigger.compute_returns_and_advantage(np.zeros(1))  # the 4 steps stored, γ = 0.99, λ = 1
    np.testing.assert_allclose(bigger.returns[:4, 0], [3.940399, 2.9701, 1.99, 1.0], rtol=1e-6)
    assert next(bigger.get())["observations"][:, 0].tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="n_steps >= 1"):
        RolloutBuffer(0, 1, obs_shape=(2,), action_shape=())


# --- A2C and REINFORCE --------------------------------------------------------------------------

def test_a2c_defaults_are_sb3s():
    sb3 = pytest.importorskip("stable_baselines3")
    ours = inspect.signature(A2C.__init__).parameters
    theirs = inspect.signature(sb3.A2C.__init__).parameters
    shared = [n for n in ours if n in theirs and n not in ("self", "policy", "env")]
    assert len(shared) >= 13
    for name in shared:
        assert ours[name].default == theirs[name].default, name


def test_actor_critic_loss_matches_torch():
    """A2C's loss on its rollout against the same networks and formula in torch."""
    agent = A2C("MlpPolicy", "CartPole-v1", n_steps=16, ent_coef=0.02, seed=0,
                policy_kwargs={"net_arch": {"pi": [8], "vf": [6, 5]}, "activation_fn": "relu"})
    agent.learn(16)
    batch = next(agent.rollout_buffer.get())
    x = agent.network_input(batch["observations"])
    variables = [v for net in (agent.policy.pi_net, agent.policy.vf_net)
                 for layer in net.layers for v in (layer.kernel, layer.bias)]
    with GradientTape() as tape:
        pl, vl, ent = agent._losses(batch, batch["advantages"])
        loss = pl + 0.5 * vl - 0.02 * ent
    grads = tape.gradient(loss, variables)

    params = [torch.tensor(v.numpy(), requires_grad=True) for v in variables]

    def mlp(h, ps):
        for i in range(0, len(ps), 2):
            h = h @ ps[i] + ps[i + 1]
            if i < len(ps) - 2:
                h = torch.relu(h)
        return h

    logits, value = mlp(torch.tensor(x), params[:4]), mlp(torch.tensor(x), params[4:])
    dist = torch.distributions.Categorical(logits=logits)
    adv, ret = torch.tensor(batch["advantages"]), torch.tensor(batch["returns"])
    tloss = (-(adv * dist.log_prob(torch.tensor(batch["actions"]))).mean()
             + 0.5 * ((ret - value[:, 0]) ** 2).mean() - 0.02 * dist.entropy().mean())
    np.testing.assert_allclose(loss.numpy(), tloss.item(), rtol=1e-5, atol=1e-6)
    for g, tg in zip(grads, torch.autograd.grad(tloss, params)):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-4, atol=1e-6)


def test_a2c_one_update_per_rollout_with_rmsprop():
    agent = A2C("MlpPolicy", "CartPole-v1", seed=0).learn(50)
    assert agent.optimizer.iterations.numpy() == 10  # n_steps = 5
    assert type(agent.optimizer).__name__ == "RMSprop" and agent.optimizer.rho == 0.99
    adam = A2C("MlpPolicy", "CartPole-v1", use_rms_prop=False, seed=0)
    assert type(adam.optimizer).__name__ == "Adam"


@pytest.mark.slow  # a short training run
def test_a2c_learns_cartpole_quickly():
    agent = A2C("MlpPolicy", "CartPole-v1", seed=0).learn(4096)  # SB3's defaults
    first = np.mean(agent.history["episode_return"][:10])
    mean, _ = evaluate_policy(agent, gymnasium.make("CartPole-v1"), n_eval_episodes=10)
    assert first < 40 and mean >= 100, (first, mean)


class _FirstRollout(BaseCallback):
    """Keeps a copy of the first rollout, as it is when the update starts."""

    def _on_rollout_end(self):
        if not hasattr(self, "seen"):
            buf = self.model.rollout_buffer
            self.seen = {name: getattr(buf, name)[:buf.pos, 0].copy()
                         for name in ("rewards", "dones", "values", "returns", "advantages")}


def test_reinforce_learns_from_whole_episodes():
    first = _FirstRollout()
    agent = REINFORCE("MlpPolicy", "CartPole-v1", n_episodes=3, seed=0).learn(
        500, callback=first)
    seen = first.seen
    # the update saw exactly 3 finished episodes, and its Âₜ are Monte Carlo returns − V
    assert seen["dones"].sum() == 3 and seen["dones"][-1] == 1
    g, expected = 0.0, np.zeros(len(seen["rewards"]))
    for t in range(len(expected) - 1, -1, -1):
        g = seen["rewards"][t] + 0.99 * g * (1 - seen["dones"][t])
        expected[t] = g
    np.testing.assert_allclose(seen["returns"], expected, rtol=1e-5)
    np.testing.assert_allclose(seen["advantages"], expected - seen["values"], rtol=1e-5,
                               atol=1e-5)
    assert agent.optimizer.iterations.numpy() == len(agent.history["loss"]) >= 2


@pytest.mark.slow  # a short training run
def test_reinforce_learns_cartpole_quickly():
    agent = REINFORCE("MlpPolicy", "CartPole-v1", seed=0).learn(10_000)
    first = np.mean(agent.history["episode_return"][:10])
    last = np.mean(agent.history["episode_return"][-10:])
    assert first < 40 and last >= 80, (first, last)


def test_policy_gradient_files_and_bad_input(tmp_path):
    agent = REINFORCE("MlpPolicy", "Pendulum-v1", n_episodes=1, seed=0).learn(200)
    agent.save(tmp_path / "r.zip")
    loaded = Agent.load(tmp_path / "r.zip")
    assert type(loaded) is REINFORCE and loaded.n_episodes == 1 and loaded.env is None
    np.testing.assert_array_equal(loaded.policy.log_std.numpy(), agent.policy.log_std.numpy())
    with pytest.raises(ValueError, match="n_episodes"):
        REINFORCE("MlpPolicy", "CartPole-v1", n_episodes=0)
    with pytest.raises(ValueError, match="initial_value"):
        linear_schedule(-1e-3)
    with pytest.raises(ValueError, match="rms_prop_eps"):
        A2C("MlpPolicy", "CartPole-v1", rms_prop_eps=0)
    with pytest.raises(TypeError, match="normalize_advantage"):
        A2C("MlpPolicy", "CartPole-v1", normalize_advantage="yes")
    with pytest.raises(TypeError, match="policy_kwargs"):
        A2C("MlpPolicy", "CartPole-v1", policy_kwargs={"net_arc": [8]})
    with pytest.raises(ValueError, match="activation"):
        A2C("MlpPolicy", "CartPole-v1", policy_kwargs={"activation_fn": "nope"})
    cube = gymnasium.make("CartPole-v1")
    cube.observation_space = spaces.MultiBinary(4)
    with pytest.raises(ValueError, match="`A2C`: Expected `env.observation_space`"):
        A2C("MlpPolicy", cube)
