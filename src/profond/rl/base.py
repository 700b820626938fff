"""The agent base class: what every profond agent shares (Stable-Baselines3's API).

An agent interacts with a Gymnasium environment: in state ``sₜ`` it picks ``aₜ ~ π(· | sₜ)``,
receives ``rₜ₊₁`` and ``sₜ₊₁``, and learns to maximise the return ``Gₜ = Σₖ γᵏ rₜ₊ₖ₊₁``.
``Agent`` runs that loop, keeps the counters, the per-episode history and the callbacks, checks
the spaces and the inputs, and saves/loads agents; subclasses say how to act and how to learn.

Writing an agent (H1's tabular agents, DQN, H3's policy-gradient agents)::

    @register_agent                         # so Agent.load finds the class (no import by name)
    class MyAgent(Agent):
        policy_aliases = {"MlpPolicy": MlpPolicy}   # names accepted as `policy` (may be empty)
        observation_spaces = (spaces.Box,)          # the kinds of spaces the agent supports
        action_spaces = (spaces.Discrete,)
        default_log_interval = 4                    # episodes between two verbose tables

        def __init__(self, policy, env, learning_rate=1e-3, gamma=0.99, seed=None, verbose=0,
                     policy_kwargs=None, my_arg=3):
            super().__init__(policy, env, learning_rate=learning_rate, gamma=gamma, seed=seed,
                             verbose=verbose, policy_kwargs=policy_kwargs)
            self.my_arg = my_arg                    # validate, then build networks/tables

        def _predict(self, observations, deterministic):   # a batch in, a batch of actions out
            ...
        def _act(self, observation):        # the action taken while learning (exploration)
            ...
        def _on_transition(self, obs, action, reward, new_obs, terminated, truncated, info):
            ...                             # store it, update tables, train every n steps

        # files: constructor arguments (JSON), counters (JSON), arrays (NumPy)
        def _get_config(self):  return {**super()._get_config(), "my_arg": self.my_arg}
        def _networks(self):    return {"q_net": self.q_net}     # weights saved and restored
        def _optimizers(self):  return {"q_net": self.optimizer} # their state too

``learn`` calls ``_run(callback, log_interval)``, whose default is a step-by-step loop
(``_act`` → ``_env_step``); agents that collect rollouts first (PPO) override ``_run`` and call
``self._env_step(action, callback)`` for each step, then ``callback.on_rollout_end()``.
``_get_state``/``_set_state`` (JSON counters) and ``_get_arrays``/``_set_arrays`` (extra NumPy
arrays: a Q-table, a replay buffer when ``include_buffer``) extend what files hold.

>>> import profond.rl                                               # doctest: +SKIP
>>> agent = profond.rl.DQN("MlpPolicy", "CartPole-v1", seed=0)      # doctest: +SKIP
>>> agent.learn(total_timesteps=10_000).save("dqn.zip")             # doctest: +SKIP
>>> action, _ = agent.predict(obs, deterministic=True)              # doctest: +SKIP
"""

import contextlib
import contextvars
import math
import sys
import time

import numpy
from gymnasium import spaces

from profond._validation import fail, integer, real
from profond.random import set_seed
from profond.rl._checks import check_space, make_env

__all__ = ["Agent", "register_agent", "get_agent_class"]

_AGENTS = {}  # class name -> agent class: the only classes a file may name
_LOADING = contextvars.ContextVar("profond_rl_loading", default=None)  # (obs space, act space)
_STATS_WINDOW = 100  # episodes averaged in the verbose table (SB3's stats_window_size)


def register_agent(cls):
    """Class decorator: ``Agent.load`` may rebuild ``cls`` from a file (by its class name)."""
    _AGENTS[cls.__name__] = cls
    return cls


def get_agent_class(name):
    """The registered agent class called ``name``; a ``KeyError`` otherwise."""
    import profond.rl  # noqa: F401 - the agents register themselves when imported

    return _AGENTS[name]


@contextlib.contextmanager
def loading_spaces(observation_space, action_space):
    """While loading a file without an environment: the spaces the agent is built for."""
    token = _LOADING.set((observation_space, action_space))
    try:
        yield
    finally:
        _LOADING.reset(token)


class Agent:
    """Base of profond's agents.

    Args:
        policy: the policy's name (a key of ``policy_aliases``, e.g. ``"MlpPolicy"``) or one of
            its classes.
        env: a ``gymnasium.Env`` or an environment id (``"CartPole-v1"``, made with
            ``gymnasium.make``).
        learning_rate: the step size η > 0, or a schedule ``f(progress_remaining) -> η`` where
            ``progress_remaining`` goes from 1 (start of ``learn``) to 0 (as in SB3).
        gamma: the discount factor γ in [0, 1].
        seed: seeds profond's random draws, the agent's NumPy generator ``self.rng``, the action
            space and the first ``env.reset``; None: not reproducible.
        verbose: 0 silent, 1 a table of statistics every ``log_interval`` episodes (SB3 style).
        policy_kwargs: extra arguments of the policy (``net_arch``, ``activation_fn``, ...).

    Attributes:
        num_timesteps: environment steps taken so far (over all ``learn`` calls).
        history: ``{"episode_return": [...], "episode_length": [...], "timesteps": [...], ...}``
            one entry per finished episode (``timesteps``: ``num_timesteps`` when it ended),
            plus what the agent logs (``"loss"``...), like Keras's ``History.history``.
    """

    policy_aliases = {}
    observation_spaces = (spaces.Box, spaces.Discrete)
    action_spaces = (spaces.Discrete, spaces.Box)
    default_log_interval = 4

    def __init__(self, policy, env, *, learning_rate, gamma=0.99, seed=None, verbose=0,
                 policy_kwargs=None):
        name = type(self).__name__
        loading = _LOADING.get()
        if env is None and loading is not None:
            self.env = None
            self.observation_space, self.action_space = loading
        else:
            if env is None:
                raise fail("env", env, "a gymnasium.Env or an environment id string", name,
                           TypeError)
            self.env = make_env(env, name)
            self.observation_space = check_space(self.env, "observation_space",
                                                 self.observation_spaces, name)
            self.action_space = check_space(self.env, "action_space", self.action_spaces, name)
        self.policy_class = self._check_policy(policy)
        if policy_kwargs is not None and not isinstance(policy_kwargs, dict):
            raise fail("policy_kwargs", policy_kwargs, "a dict or None", name, TypeError)
        self.policy_kwargs = dict(policy_kwargs or {})
        if not callable(learning_rate):
            learning_rate = real("learning_rate", learning_rate, name, low=0, low_open=True)
        self.learning_rate = learning_rate
        self.gamma = real("gamma", gamma, name, low=0, high=1)
        self.seed = integer("seed", seed, name, minimum=0, allow_none=True)
        self.verbose = integer("verbose", verbose, name, minimum=0)
        self.rng = numpy.random.default_rng(seed)
        if seed is not None:
            set_seed(seed)
            self.action_space.seed(seed)
        self._reset_seed = seed  # the first env.reset is seeded, later ones continue its stream
        self.num_timesteps = 0
        self.history = self._new_history()
        self.logger_values = {}  # "train/loss": 0.12, ... shown in the verbose table
        self._episode_num = 0
        self._episode_return = 0.0
        self._episode_length = 0
        self._last_obs = None
        self._total_timesteps = 0
        self._start_timesteps = 0
        self._start_time = time.perf_counter()
        self._progress_remaining = 1.0

    # ------------------------------------------------------------------------------------------
    # What subclasses provide
    # ------------------------------------------------------------------------------------------
    def _predict(self, observations, deterministic):
        """The actions for a batch of (checked) observations: an array of ``len(observations)``."""
        raise NotImplementedError(f"{type(self).__name__} does not define _predict.")

    def _act(self, observation):
        """The action taken while learning, for one observation (default: sample the policy)."""
        return self._predict(observation[None], deterministic=False)[0]

    def _on_transition(self, obs, action, reward, new_obs, terminated, truncated, info):
        """Called after every environment step while learning (store it, learn from it)."""

    def _networks(self):
        """``{name: profond Model}`` whose weights files hold."""
        return {}

    def _optimizers(self):
        """``{name: optimizer}`` whose state files hold (its variables, once built); ``name``
        is the key of the network in ``_networks`` whose trainable variables it updates."""
        return {}

    # ------------------------------------------------------------------------------------------
    # Learning
    # ------------------------------------------------------------------------------------------
    def learn(self, total_timesteps, callback=None, log_interval=None, progress_bar=False,
              reset_num_timesteps=True):
        """Interact with the environment for ``total_timesteps`` steps, learning as it goes.

        Args:
            total_timesteps: environment steps to take (> 0).
            callback: a ``profond.rl.callbacks.BaseCallback``, a list of them, or a callable
                ``f(locals, globals) -> bool`` (False stops training), called after each step.
            log_interval: episodes between two tables when ``verbose=1`` (None: the agent's
                default).
            progress_bar: show a progress bar with the last episodes' return and length.
            reset_num_timesteps: False continues a previous run: counters, exploration
                schedule, buffers, and the episode in progress.

        Returns:
            the agent (``agent.learn(...).save(...)`` chains).
        """
        from profond.rl.callbacks import make_callback

        name = type(self).__name__
        total_timesteps = integer("total_timesteps", total_timesteps, f"{name}.learn",
                                  minimum=1)
        log_interval = self.default_log_interval if log_interval is None else integer(
            "log_interval", log_interval, f"{name}.learn", minimum=1)
        if self.env is None:
            raise ValueError(f"`{name}.learn`: the agent has no environment. Pass one to "
                             f"{name}.load(path, env=...) or call agent.set_env(env).")
        if reset_num_timesteps:
            self.num_timesteps = 0
            self._episode_num = 0
            self.history = self._new_history()
            self._last_obs = None
        self._start_timesteps = self.num_timesteps
        self._total_timesteps = self.num_timesteps + total_timesteps
        self._start_time = time.perf_counter()
        if self._last_obs is None:
            self._reset_env()
        callback = make_callback(callback, progress_bar)
        callback.init_callback(self)
        callback.on_training_start(locals(), globals())
        self._run(callback, log_interval)
        callback.on_training_end()
        return self

    def _run(self, callback, log_interval):
        """The default loop: one action, one environment step, until the budget is spent or
        the callback says stop."""
        self._log_interval = log_interval
        while self.num_timesteps < self._total_timesteps:
            action = self._act(self._last_obs)
            if not self._env_step(action, callback):
                break

    def _env_step(self, action, callback):
        """Take ``action``: step the environment, check the reward, count, call
        ``_on_transition`` and the callback, finish the episode (history, reset) when it ends.
        Returns False when the callback asks to stop."""
        obs = self._last_obs
        new_obs, reward, terminated, truncated, info = self.env.step(action)
        reward = float(reward)
        if math.isnan(reward):
            raise ValueError(
                f"`{type(self).__name__}`: the environment returned a reward of NaN at timestep "
                f"{self.num_timesteps + 1} (episode step {self._episode_length + 1}). Expected "
                f"a number. Received: reward={reward}, action={action!r}")
        self.num_timesteps += 1
        self._episode_return += reward
        self._episode_length += 1
        self._progress_remaining = 1.0 - self.num_timesteps / self._total_timesteps
        self._on_transition(obs, action, reward, new_obs, terminated, truncated, info)
        done = terminated or truncated
        episode_return = self._episode_return if done else None
        if done:
            self._end_episode()
        else:
            self._last_obs = new_obs
        if callback.is_noop:
            return True
        callback.locals.update(obs=obs, action=action, reward=reward, terminated=terminated,
                               truncated=truncated, new_obs=new_obs, info=info, done=done,
                               episode_return=episode_return, self=self)
        return callback.on_step() is not False

    def _end_episode(self):
        """Record the finished episode, show the table when it is time, reset the env."""
        self._episode_num += 1
        self.history["episode_return"].append(self._episode_return)
        self.history["episode_length"].append(self._episode_length)
        self.history["timesteps"].append(self.num_timesteps)
        self._episode_return, self._episode_length = 0.0, 0
        interval = getattr(self, "_log_interval", self.default_log_interval)
        if self.verbose >= 1 and interval and self._episode_num % interval == 0:
            self.dump_logs()
        self._reset_env()

    def _reset_env(self):
        obs, _ = self.env.reset(seed=self._reset_seed)
        self._reset_seed = None
        self._last_obs = obs
        self._episode_return, self._episode_length = 0.0, 0

    def _current_learning_rate(self):
        """η now: the float, or the schedule at the current progress."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self._progress_remaining))
        return self.learning_rate

    def _record(self, key, value):
        """Append ``value`` to ``history[key]`` (a loss, an entropy...)."""
        self.history.setdefault(key, []).append(float(value))

    @staticmethod
    def _new_history():
        return {"episode_return": [], "episode_length": [], "timesteps": []}

    def set_env(self, env):
        """Give the agent a new environment with the same spaces (after ``load`` without one)."""
        name = type(self).__name__
        env = make_env(env, name)
        for attribute in ("observation_space", "action_space"):
            if getattr(env, attribute) != getattr(self, attribute):
                raise ValueError(f"`{name}.set_env`: Expected `env.{attribute}` to be "
                                 f"{getattr(self, attribute)}. Received: "
                                 f"{getattr(env, attribute)}")
        self.env = env
        self._last_obs = None

    def get_env(self):
        """The environment the agent learns in (None after ``load`` without one)."""
        return self.env

    # ------------------------------------------------------------------------------------------
    # Logs
    # ------------------------------------------------------------------------------------------
    def episode_statistics(self):
        """Mean return and length of the last 100 finished episodes (NaN before the first)."""
        returns = self.history["episode_return"][-_STATS_WINDOW:]
        lengths = self.history["episode_length"][-_STATS_WINDOW:]
        if not returns:
            return math.nan, math.nan
        return float(numpy.mean(returns)), float(numpy.mean(lengths))

    def dump_logs(self, stream=None):
        """Write SB3's table of statistics: the last 100 episodes, time, the agent's values."""
        ep_return, ep_length = self.episode_statistics()
        elapsed = max(time.perf_counter() - self._start_time, 1e-9)
        values = {"rollout/ep_len_mean": ep_length, "rollout/ep_rew_mean": ep_return}
        values.update({k: v for k, v in self.logger_values.items() if k.startswith("rollout/")})
        values.update({
            "time/episodes": self._episode_num,
            "time/fps": int((self.num_timesteps - self._start_timesteps) / elapsed),
            "time/time_elapsed": int(elapsed),
            "time/total_timesteps": self.num_timesteps,
        })
        values.update({k: v for k, v in self.logger_values.items()
                       if not k.startswith("rollout/")})
        (stream or sys.stdout).write(format_table(values))

    # ------------------------------------------------------------------------------------------
    # Acting
    # ------------------------------------------------------------------------------------------
    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        """The action for ``observation`` (one, or a batch along the first axis).

        Returns ``(action, state)`` as in SB3: ``state`` is passed through (no recurrent
        policies). One observation gives one action (a 0-d array for ``Discrete``); a batch
        gives an array of actions.
        """
        del episode_start  # for recurrent policies, which profond's agents are not
        batch, single = self.check_observation(observation)
        actions = self._predict(batch, bool(deterministic))
        return (actions[0] if single else actions), state

    def check_observation(self, observation, where=None):
        """``(batch, single)``: the observation(s) as a NumPy batch, and whether one was given.
        Wrong shapes or values outside a ``Discrete`` space raise a clear ``ValueError``."""
        where = where or f"{type(self).__name__}.predict"
        space = self.observation_space
        if isinstance(space, spaces.Discrete):
            array = numpy.asarray(observation)
            if array.ndim > 1 or not (numpy.issubdtype(array.dtype, numpy.integer)
                                      or array.dtype == bool):
                raise ValueError(f"`{where}`: Expected an observation index (an integer) or a "
                                 f"1-D batch of them for {space}. Received: array of shape "
                                 f"{array.shape} and dtype {array.dtype}")
            low, high = int(space.start), int(space.start + space.n)
            if array.size and (array.min() < low or array.max() >= high):
                raise ValueError(f"`{where}`: Expected observations in [{low}, {high}) for "
                                 f"{space}. Received: {array.tolist() if array.size < 10 else '…'}")
            return array.reshape(-1).astype(numpy.int64), array.ndim == 0
        array = numpy.asarray(observation, dtype=getattr(space, "dtype", None))
        shape = tuple(space.shape)
        if array.shape == shape:
            return array[None], True
        if array.ndim == len(shape) + 1 and array.shape[1:] == shape:
            return array, False
        raise ValueError(f"`{where}`: Expected an observation of shape {shape} or a batch of "
                         f"shape (n, {', '.join(map(str, shape))}) for {space}. Received: "
                         f"shape={array.shape}")

    def network_input(self, observations):
        """A batch of observations as a float32 network input: ``Discrete`` ones one-hot
        (n_states columns), ``Box`` ones flattened to ``(batch, features)``."""
        space = self.observation_space
        if isinstance(space, spaces.Discrete):
            index = numpy.asarray(observations, dtype=numpy.int64).reshape(-1) - int(space.start)
            return numpy.eye(int(space.n), dtype=numpy.float32)[index]
        array = numpy.asarray(observations, dtype=numpy.float32)
        return array.reshape(array.shape[0], -1)

    def _check_policy(self, policy):
        name = type(self).__name__
        if isinstance(policy, str):
            if policy not in self.policy_aliases:
                raise fail("policy", policy,
                           f"one of {sorted(self.policy_aliases)}", name)
            return self.policy_aliases[policy]
        if isinstance(policy, type) and policy in self.policy_aliases.values():
            return policy
        if not self.policy_aliases and policy is None:
            return None
        expected = f"one of {sorted(self.policy_aliases)}" if self.policy_aliases else "None"
        raise fail("policy", policy, expected, name, TypeError)

    def _policy_name(self):
        for key, value in self.policy_aliases.items():
            if value is self.policy_class:
                return key
        return None

    # ------------------------------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------------------------------
    def _get_config(self):
        """The constructor's arguments (JSON values), to rebuild the agent from a file."""
        if callable(self.learning_rate):
            raise ValueError(f"`{type(self).__name__}.save`: a learning_rate schedule (a "
                             "function) cannot be saved in a file. Expected a number. "
                             f"Received: learning_rate={self.learning_rate!r}")
        return {"policy": self._policy_name(), "learning_rate": self.learning_rate,
                "gamma": self.gamma, "seed": self.seed, "verbose": self.verbose,
                "policy_kwargs": self.policy_kwargs}

    def _get_state(self):
        """Counters (JSON) that ``learn(reset_num_timesteps=False)`` continues from."""
        return {"num_timesteps": self.num_timesteps, "episode_num": self._episode_num,
                "total_timesteps": self._total_timesteps, "history": self.history,
                "rng": self.rng.bit_generator.state}

    def _set_state(self, state):
        """Restore ``_get_state``'s values (validated by ``_files``)."""
        self.num_timesteps = state["num_timesteps"]
        self._episode_num = state["episode_num"]
        self._total_timesteps = state["total_timesteps"]
        self.history = state["history"]
        if "rng" in state:  # the generator's state: set on a scratch one first (validation)
            scratch = type(self.rng.bit_generator)()
            try:
                scratch.state = state["rng"]
            except (TypeError, ValueError, KeyError, OverflowError) as e:
                raise ValueError(f"invalid random state: {e}") from None
            self.rng = numpy.random.Generator(scratch)

    def _get_arrays(self, include_buffer):
        """Extra NumPy arrays the file holds (a Q-table; the buffer when asked): ``{name: array}``.
        Networks and optimizers are saved by ``_files`` from ``_networks``/``_optimizers``."""
        return {}

    def _set_arrays(self, arrays):
        """Restore ``_get_arrays``'s arrays (checked: raise ``FileFormatError`` if they do not
        fit)."""

    def save(self, path, include_buffer=False):
        """Save the agent to one zip (``agent.json``, safetensors arrays, no pickle).

        Args:
            path: where to write (written atomically; ``.zip`` is added to a name without a
                suffix, as in SB3).
            include_buffer: also save the replay buffer (off-policy agents), so that
                ``learn(..., reset_num_timesteps=False)`` continues with the same contents.
        """
        from profond.rl import _files

        _files.save_agent(self, path, include_buffer=include_buffer)

    @classmethod
    def load(cls, path, env=None):
        """Rebuild an agent saved with ``save``: same class, arguments, weights, optimizer
        state, counters (and buffer when saved). ``Agent.load`` returns whichever agent the file
        holds; ``DQN.load`` also checks that it holds a DQN.

        Args:
            path: the file (``.zip`` added to a name without a suffix).
            env: the environment to continue learning in (its spaces must be the saved ones);
                None: the agent can ``predict`` only, until ``set_env``.

        Raises:
            FileFormatError: a damaged, truncated or hostile file.
        """
        from profond.rl import _files

        return _files.load_agent(path, env=env, expected=cls)


def format_table(values):
    """SB3's log table: ``{"rollout/ep_rew_mean": 22.5, ...}`` grouped by the part before
    ``/``.

    >>> print(format_table({"rollout/ep_rew_mean": 22.5, "time/episodes": 4}), end="")
    -----------------------------
    | rollout/       |          |
    |    ep_rew_mean | 22.5     |
    | time/          |          |
    |    episodes    | 4        |
    -----------------------------
    """
    rows, group = [], None
    for key, value in values.items():
        head, _, tail = key.rpartition("/")
        if head != group:
            rows.append((head + "/", ""))
            group = head
        rows.append(("   " + tail, _format_value(value)))
    left = max(len(k) for k, _ in rows) + 1
    right = max(max(len(v) for _, v in rows) + 1, 9)
    line = "-" * (left + right + 5)
    body = "".join(f"| {k:<{left}}| {v:<{right}}|\n" for k, v in rows)
    return f"{line}\n{body}{line}\n"


def _format_value(value):
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.3g}" if abs(value) < 1e-3 or abs(value) >= 1e5 else f"{value:.4g}"
    return str(value)
