"""Reinforcement learning on Gymnasium: environments, planning, and agents.

An agent in state ``s`` takes an action ``a``, receives a reward ``r`` and lands in ``s'``; it
learns a policy π(a | s) that maximises the expected return ``G = Σₜ γᵗ rₜ₊₁``. Environments
follow Gymnasium's API (``reset`` → ``(obs, info)``, ``step`` → ``(obs, reward, terminated,
truncated, info)``); agents follow Stable-Baselines3's (``learn``, ``predict``, ``save``/``load``).

>>> import gymnasium
>>> import profond.rl
>>> env = gymnasium.make("profond/Maze-v0", maze="S.\\n.E")
>>> values, policy = profond.rl.value_iteration(env, gamma=0.9)
>>> policy.tolist()
[1, 2, 1, 0]
"""

from profond.rl.base import Agent
from profond.rl.dqn import DQN
from profond.rl.envs import MAZES, MazeEnv
from profond.rl.evaluation import evaluate_policy
from profond.rl.planning import action_values, policy_evaluation, value_iteration
from profond.rl.policy_gradient import A2C, REINFORCE, linear_schedule
from profond.rl.ppo import PPO
from profond.rl.tabular import SARSA, QLearning

__all__ = [
    "Agent", "DQN",
    "A2C", "PPO", "REINFORCE", "linear_schedule",
    "MAZES", "MazeEnv", "QLearning", "SARSA", "action_values", "evaluate_policy",
    "policy_evaluation", "value_iteration",
]
