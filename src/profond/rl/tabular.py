"""Tabular agents: Q-learning and SARSA, one value Q(s, a) per state and action.

Both learn from each step ``(s, a, r, s')`` by moving Q(s, a) towards a target by a fraction
α (the learning rate)::

    Q(s, a) ← Q(s, a) + α · (target − Q(s, a))

    Q-learning (off-policy):  target = r + γ · maxₐ' Q(s', a')
    SARSA (on-policy):        target = r + γ · Q(s', a'),  a' the action it will really take

(target = r when s' ends the episode). They act ε-greedily: a random action with probability ε,
else the best one (ties broken at random), with ε going linearly from
``exploration_initial_eps`` to ``exploration_final_eps`` over the first
``exploration_fraction`` of the steps, as Stable-Baselines3's DQN. Q-learning converges to the
optimal Q* (what value iteration computes from the model); SARSA to the values of its own
ε-greedy policy, so it keeps further from the traps while it explores.

>>> from profond.rl.envs import MazeEnv
>>> agent = QLearning(MazeEnv("S#\\n.E"), learning_rate=0.5, seed=0).learn(500)
>>> agent.q_table.shape
(4, 4)
>>> int(agent.predict(0, deterministic=True)[0])  # from S: down (right is a wall)
2
"""

import numpy
from gymnasium import spaces

from profond._validation import probability, real
from profond.rl.base import Agent, register_agent
from profond.saving.limits import FileFormatError

__all__ = ["QLearning", "SARSA"]


class _TabularAgent(Agent):
    """ε-greedy action choice, the exploration schedule, the Q-table and its file."""

    observation_spaces = (spaces.Discrete,)
    action_spaces = (spaces.Discrete,)
    default_log_interval = 100

    def __init__(self, env, learning_rate=0.1, gamma=0.99, exploration_fraction=0.5,
                 exploration_initial_eps=1.0, exploration_final_eps=0.05, seed=None, verbose=0):
        name = type(self).__name__
        if not callable(learning_rate):
            learning_rate = real("learning_rate", learning_rate, name, 0, 1, low_open=True,
                                 expected="a float in (0, 1] or a schedule")
        super().__init__(None, env, learning_rate=learning_rate, gamma=gamma, seed=seed,
                         verbose=verbose)
        self.exploration_fraction = probability("exploration_fraction", exploration_fraction,
                                                name)
        self.exploration_initial_eps = probability("exploration_initial_eps",
                                                   exploration_initial_eps, name)
        self.exploration_final_eps = probability("exploration_final_eps",
                                                 exploration_final_eps, name)
        self.exploration_rate = self.exploration_initial_eps
        self.n_actions = int(self.action_space.n)
        self.q_table = numpy.zeros((int(self.observation_space.n), self.n_actions))
        self._start_obs = int(self.observation_space.start)  # Discrete(n, start) → row 0
        self._start_act = int(self.action_space.start)

    # -- acting ----------------------------------------------------------------------------------
    def _epsilon(self):
        """ε now: linear from the initial to the final value over the first
        ``exploration_fraction`` of ``learn``'s steps, then constant."""
        done = 1.0 - self._progress_remaining
        if done >= self.exploration_fraction:
            return self.exploration_final_eps
        start, end = self.exploration_initial_eps, self.exploration_final_eps
        return start + (end - start) * done / self.exploration_fraction

    def _epsilon_greedy(self, row):
        """An action index for the state in ``row``: random with probability ε, else one of
        the best (at random among ties: an untrained table of zeros has them everywhere)."""
        # NOTE: on a row of a few values, Python's max beats NumPy's call overhead.
        if self.rng.random() < self.exploration_rate:
            return int(self.rng.random() * self.n_actions)
        q = self.q_table[row].tolist()
        top = max(q)
        best = [a for a, value in enumerate(q) if value == top]
        return best[0] if len(best) == 1 else best[int(self.rng.random() * len(best))]

    def _act(self, observation):
        self.exploration_rate = self._epsilon()
        return self._epsilon_greedy(int(observation) - self._start_obs) + self._start_act

    def _predict(self, observations, deterministic):
        rows = observations - self._start_obs
        actions = numpy.argmax(self.q_table[rows], axis=1)
        if not deterministic:  # as SB3's DQN: ε-greedy at the current exploration rate
            explore = self.rng.random(len(rows)) < self.exploration_rate
            actions = numpy.where(explore, self.rng.integers(self.n_actions, size=len(rows)),
                                  actions)
        return actions + self._start_act

    def _update(self, row, column, target):
        alpha = self._current_learning_rate()
        self.q_table[row, column] += alpha * (target - self.q_table[row, column])

    def _end_episode(self):
        self.logger_values["rollout/exploration_rate"] = self.exploration_rate
        super()._end_episode()

    # -- files -----------------------------------------------------------------------------------
    def _get_config(self):
        config = super()._get_config()
        del config["policy"], config["policy_kwargs"]
        return {**config, "exploration_fraction": self.exploration_fraction,
                "exploration_initial_eps": self.exploration_initial_eps,
                "exploration_final_eps": self.exploration_final_eps}

    def _get_state(self):
        return {**super()._get_state(), "exploration_rate": self.exploration_rate}

    def _set_state(self, state):
        super()._set_state(state)
        self.exploration_rate = probability("exploration_rate", state["exploration_rate"],
                                            f"{type(self).__name__}.load")

    def _get_arrays(self, include_buffer):
        return {"q_table": self.q_table}

    def _set_arrays(self, arrays):
        table = arrays.get("q_table")
        if table is None or table.shape != self.q_table.shape \
                or not numpy.issubdtype(table.dtype, numpy.floating) \
                or not numpy.isfinite(table).all():
            got = "none" if table is None else f"shape {table.shape}, dtype {table.dtype}"
            raise FileFormatError(f"`{type(self).__name__}.load`: Expected a finite float "
                                  f"q_table of shape {self.q_table.shape}. Received: {got}")
        self.q_table[...] = table


@register_agent
class QLearning(_TabularAgent):
    """Tabular Q-learning (Watkins): ``Q(s,a) ← Q(s,a) + α (r + γ maxₐ' Q(s',a') − Q(s,a))``.

    Args:
        env: a ``gymnasium.Env`` (or an id) with ``Discrete`` observations and actions.
        learning_rate: α in (0, 1], or a schedule ``f(progress_remaining) -> α``.
        gamma: the discount factor γ in [0, 1].
        exploration_fraction: the fraction of ``learn``'s steps over which ε decays.
        exploration_initial_eps, exploration_final_eps: ε at the start and after the decay.
        seed: seeds the exploration, the action space and the first ``env.reset``.
        verbose: 1 prints SB3's table of statistics every 100 episodes.

    Attributes:
        q_table: the live (n_states, n_actions) NumPy array of Q(s, a).
        exploration_rate: ε now.
    """

    def _on_transition(self, obs, action, reward, new_obs, terminated, truncated, info):
        target = reward
        if not terminated:  # a truncated episode still bootstraps: the state goes on
            target += self.gamma * max(self.q_table[int(new_obs) - self._start_obs].tolist())
        self._update(int(obs) - self._start_obs, int(action) - self._start_act, target)


@register_agent
class SARSA(_TabularAgent):
    """Tabular SARSA: ``Q(s,a) ← Q(s,a) + α (r + γ Q(s',a') − Q(s,a))``, where a' is the
    ε-greedy action that the agent then really takes in s' (on-policy).

    Same arguments and attributes as ``QLearning``.

    NOTE: SARSA values its own exploring policy. With a step cost c and γ near 1, wandering
    forever is worth about −c / (1 − γ) (−1 with the maze's defaults, as much as a trap), and
    every action that passes near a trap pays for the random steps taken there: SARSA may
    settle on bumping into a wall, its episodes then cut at ``max_steps`` (seen on the robot
    maze for some seeds). Q-learning, whose target takes the
    best next action, learns the way out from the same experience.
    """

    _next_action = None  # a' chosen by the last update, taken by the next step

    def _act(self, observation):
        if self._next_action is not None:
            action, self._next_action = self._next_action, None
            return action
        return super()._act(observation)

    def _on_transition(self, obs, action, reward, new_obs, terminated, truncated, info):
        target = reward
        if not terminated:
            self.exploration_rate = self._epsilon()
            next_action = self._epsilon_greedy(int(new_obs) - self._start_obs)
            target += self.gamma * self.q_table[int(new_obs) - self._start_obs, next_action]
            if not truncated:  # after a truncation the episode restarts elsewhere
                self._next_action = next_action + self._start_act
        self._update(int(obs) - self._start_obs, int(action) - self._start_act, target)

    def _reset_env(self):
        self._next_action = None
        super()._reset_env()
