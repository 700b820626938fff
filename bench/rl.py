"""Reinforcement learning: DQN on CartPole-v1 for 20,000 environment steps, profond's
``profond.rl.DQN`` against Stable-Baselines3's ``DQN`` (on PyTorch, CPU), with the same
hyper-parameters: RL Zoo's tuned CartPole settings (learning rate 2.3e-3, batch 64, buffer
100,000, 1,000 random steps first, train every 256 steps with 128 gradient steps, target update
every 10 steps, ε from 1 to 0.04 over 16 % of the run, MLP 256-256 with ReLU, Adam, gradient norm
clipped at 10, Huber loss) and SB3's plain DQN targets (``double_q=False``).

Each call is one whole run from a fresh agent (building it included), environment steps and
gradient steps together; the extras give the gradient steps each library took (SB3 finishes its
last 256-step rollout past 20,000 steps, so it takes a few more), the environment steps, and the
greedy policy's mean return over 10 evaluation episodes after the run.
"""

import sys

from _harness import Case, Work

QUICK = "--quick" in sys.argv  # a smoke run: 2,000 steps instead of 20,000
STEPS = 2_000 if QUICK else 20_000
SETTINGS = dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1000,
                gamma=0.99, target_update_interval=10, train_freq=256, gradient_steps=128,
                exploration_fraction=0.16, exploration_final_eps=0.04, max_grad_norm=10)
NET = [256, 256]


def _mean_return(agent, evaluate, wrap=None):
    import gymnasium

    env = gymnasium.make("CartPole-v1")
    mean, _ = evaluate(agent, wrap(env) if wrap else env, n_eval_episodes=10,
                       deterministic=True)
    return round(float(mean), 1)


def profond_dqn():
    from profond.rl import DQN, evaluate_policy

    runs = []

    def step():
        agent = DQN("MlpPolicy", "CartPole-v1", double_q=False, seed=len(runs),
                    policy_kwargs=dict(net_arch=NET, activation_fn="relu"), **SETTINGS)
        runs.append(agent.learn(STEPS))

    def report():
        agent = runs[-1]
        return {"gradient_steps": agent.n_updates, "env_steps": agent.num_timesteps,
                "eval_return": _mean_return(agent, evaluate_policy)}

    return Work(step, items=STEPS, report=report)


def torch_dqn():
    import torch
    from stable_baselines3 import DQN
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor

    runs = []

    def step():
        agent = DQN("MlpPolicy", "CartPole-v1", seed=len(runs), device="cpu",
                    policy_kwargs=dict(net_arch=NET, activation_fn=torch.nn.ReLU), **SETTINGS)
        runs.append(agent.learn(STEPS))

    def report():
        agent = runs[-1]
        return {"gradient_steps": agent._n_updates, "env_steps": agent.num_timesteps,
                "eval_return": _mean_return(agent, evaluate_policy, Monitor)}

    return Work(step, items=STEPS, report=report)


def _needs_sb3():
    import importlib.util

    if importlib.util.find_spec("stable_baselines3") is None:
        return "stable-baselines3 is not installed"
    return None


CASES = {
    "dqn_cartpole": Case(
        f"DQN on CartPole-v1, {STEPS:,} env steps, vs Stable-Baselines3",
        {"profond": "profond_dqn", "pytorch": "torch_dqn"},
        goal="≤ 1.0×", warmup=0, calls=1, unit="s", needs=_needs_sb3),
}
