"""Evaluation of a policy: the mean return over whole episodes, as Stable-Baselines3 reports it.

The return of an episode is the plain sum of its rewards ``G = r₁ + r₂ + … + r_T`` (no
discount: it measures the task, not the learner's objective). On FrozenLake, whose only reward is
1 at the goal, the mean return is the success rate.

>>> from profond.rl.envs import MazeEnv
>>> from profond.rl.planning import value_iteration
>>> env = MazeEnv("S.\\n.E")
>>> _, policy = value_iteration(env)
>>> mean, std = evaluate_policy(policy, env, n_eval_episodes=3)
>>> round(mean, 6), round(std, 6)
(0.99, 0.0)
"""

import numpy

from profond._validation import boolean, fail, integer, positive_int
from profond.rl._checks import make_env

__all__ = ["evaluate_policy"]


def _actor(agent):
    """A function ``(observation, state, episode_start) → (action, state)``: the agent's
    ``predict``, or a table of actions indexed by a discrete observation (the policy that
    ``value_iteration`` returns)."""
    if hasattr(agent, "predict"):
        return None
    table = numpy.asarray(agent)
    if table.ndim != 1 or not numpy.issubdtype(table.dtype, numpy.integer):
        raise fail("agent", agent, "an agent with a `predict` method or an array of actions, "
                   "one per discrete observation", "evaluate_policy", TypeError)
    return table


def evaluate_policy(agent, env, n_eval_episodes=10, deterministic=True,
                    return_episode_rewards=False, seed=None):
    """Runs ``n_eval_episodes`` whole episodes of ``agent`` on ``env`` and returns the mean and
    the standard deviation of their returns, or, with ``return_episode_rewards=True``, the lists
    of the episodes' returns and lengths (as Stable-Baselines3).

    Args:
        agent: anything with SB3's ``predict(observation, state=None, episode_start=None,
            deterministic=False) → (action, state)`` (profond's agents, SB3's models), or an
            array of actions indexed by a discrete observation.
        env: a ``gymnasium.Env`` or an environment id.
        deterministic: ask the agent for its greedy action.
        seed: seeds the first ``reset`` (the later ones continue its random stream), so an
            evaluation on a random environment can be repeated exactly.
    """
    n_eval_episodes = positive_int("n_eval_episodes", n_eval_episodes, "evaluate_policy")
    deterministic = boolean("deterministic", deterministic, "evaluate_policy")
    return_episode_rewards = boolean("return_episode_rewards", return_episode_rewards,
                                     "evaluate_policy")
    seed = integer("seed", seed, "evaluate_policy", 0, allow_none=True)
    env = make_env(env, "evaluate_policy")
    table = _actor(agent)
    returns, lengths = [], []
    for episode in range(n_eval_episodes):
        obs, _ = env.reset(seed=seed if episode == 0 else None)
        state, start, total, length, done = None, True, 0.0, 0, False
        while not done:
            if table is None:
                action, state = agent.predict(obs, state=state, episode_start=start,
                                              deterministic=deterministic)
            else:
                action = table[int(obs)]
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            length += 1
            start, done = False, terminated or truncated
        returns.append(total)
        lengths.append(length)
    if return_episode_rewards:
        return returns, lengths
    return float(numpy.mean(returns)), float(numpy.std(returns))
