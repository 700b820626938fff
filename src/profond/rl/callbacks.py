"""Callbacks for ``agent.learn`` (Stable-Baselines3's): watch training, evaluate, stop it early.

A callback is told when training starts, after every environment step (``_on_step``: return
False to stop), when a rollout ends (agents that collect rollouts) and when training ends. While
it runs, ``self.locals`` holds the last step: ``obs``, ``action``, ``reward``, ``terminated``,
``truncated``, ``new_obs``, ``info``, ``done``, and ``episode_return`` (the finished episode's
return when ``done``, else None).

>>> class StopAfterTenEpisodes(BaseCallback):
...     def _on_step(self):
...         return len(self.model.history["episode_return"]) < 10

A plain function ``f(locals, globals) -> bool`` works too, as in SB3.
"""

import os

import numpy

from profond._validation import fail, integer, real

__all__ = ["BaseCallback", "CallbackList", "ConvertCallback", "EvalCallback",
           "ProgressBarCallback", "StopTrainingOnRewardThreshold", "make_callback"]


class BaseCallback:
    """Base of ``learn``'s callbacks.

    Attributes (set by ``init_callback`` and each step): ``model`` (the agent, also ``agent``),
    ``n_calls`` (steps seen by this callback), ``num_timesteps`` (the agent's), ``locals``,
    ``globals``, ``parent`` (the callback this one is attached to, e.g. an ``EvalCallback``).
    """

    is_noop = False  # True only for the callback of ``learn(callback=None)``

    def __init__(self, verbose=0):
        self.verbose = integer("verbose", verbose, type(self).__name__, minimum=0)
        self.model = None
        self.n_calls = 0
        self.num_timesteps = 0
        self.locals = {}
        self.globals = {}
        self.parent = None

    @property
    def agent(self):
        return self.model

    @property
    def training_env(self):
        return None if self.model is None else self.model.env

    def init_callback(self, model):
        """Attach to the agent (called by ``learn``)."""
        self.model = model
        self._init_callback()

    def on_training_start(self, locals_, globals_):
        self.locals, self.globals = dict(locals_), globals_
        self.num_timesteps = self.model.num_timesteps
        self._on_training_start()

    def on_step(self):
        """Called after each environment step; False stops training."""
        self.n_calls += 1
        self.num_timesteps = self.model.num_timesteps
        return self._on_step()

    def on_rollout_start(self):
        self._on_rollout_start()

    def on_rollout_end(self):
        self._on_rollout_end()

    def on_training_end(self):
        self._on_training_end()

    # Subclasses override these.
    def _init_callback(self):
        pass

    def _on_training_start(self):
        pass

    def _on_step(self):
        return True

    def _on_rollout_start(self):
        pass

    def _on_rollout_end(self):
        pass

    def _on_training_end(self):
        pass


class _NoCallback(BaseCallback):
    """``learn(callback=None)``: nothing to call (the step loop skips it entirely)."""

    is_noop = True


class CallbackList(BaseCallback):
    """Several callbacks, called in order; training stops when any of them says so."""

    def __init__(self, callbacks):
        super().__init__()
        self.callbacks = [make_callback(c) for c in callbacks]

    def _init_callback(self):
        for c in self.callbacks:
            c.init_callback(self.model)
            c.locals = self.locals  # one dict: the step loop updates it, all see it

    def on_training_start(self, locals_, globals_):
        super().on_training_start(locals_, globals_)
        for c in self.callbacks:
            c.on_training_start(locals_, globals_)
            c.locals = self.locals

    def _on_step(self):
        keep_going = True
        for c in self.callbacks:
            keep_going = (c.on_step() is not False) and keep_going
        return keep_going

    def _on_rollout_start(self):
        for c in self.callbacks:
            c.on_rollout_start()

    def _on_rollout_end(self):
        for c in self.callbacks:
            c.on_rollout_end()

    def _on_training_end(self):
        for c in self.callbacks:
            c.on_training_end()


class ConvertCallback(BaseCallback):
    """A function ``f(locals, globals) -> bool`` as a callback (``None`` returned: go on)."""

    def __init__(self, callback, verbose=0):
        super().__init__(verbose)
        self.callback = callback

    def _on_step(self):
        return self.callback(self.locals, self.globals) is not False


def make_callback(callback, progress_bar=False):
    """``learn``'s ``callback`` argument as one ``BaseCallback`` (plus the progress bar)."""
    if callback is None:
        callback = _NoCallback()
    elif isinstance(callback, (list, tuple)):
        callback = CallbackList(callback)
    elif not isinstance(callback, BaseCallback):
        if not callable(callback):
            raise fail("callback", callback, "a BaseCallback, a list of them, a function "
                       "f(locals, globals) -> bool, or None", "learn", TypeError)
        callback = ConvertCallback(callback)
    if progress_bar:
        others = [] if callback.is_noop else [callback]
        callback = CallbackList([*others, ProgressBarCallback()])
    return callback


class ProgressBarCallback(BaseCallback):
    """A progress bar over ``learn``'s steps with the mean return and length of the last 100
    episodes (``episode_return``, ``episode_length``), profond's ``Progbar``.

    Args:
        stream: where to draw (``sys.stdout`` by default).
        every: redraw at most once per ``every`` steps (and at each episode's end).
    """

    def __init__(self, stream=None, every=100):
        super().__init__()
        self.stream = stream
        self.every = integer("every", every, "ProgressBarCallback", minimum=1)
        self._bar = None
        self._start = 0

    def _on_training_start(self):
        from profond.callbacks.progbar import Progbar

        self._start = self.model.num_timesteps
        target = self.model._total_timesteps - self._start
        self._bar = Progbar(target, verbose=1, stream=self.stream, unit_name="step")

    def _values(self):
        ep_return, ep_length = self.model.episode_statistics()
        if ep_return != ep_return:  # NaN: no episode finished yet
            return {}
        return {"episode_return": ep_return, "episode_length": ep_length}

    def _on_step(self):
        if self.n_calls % self.every == 0 or self.locals.get("done"):
            self._bar.update(self.num_timesteps - self._start, self._values(), finalize=False)
        return True

    def _on_training_end(self):
        self._bar.update(self.model.num_timesteps - self._start, self._values(), finalize=True)


class EvalCallback(BaseCallback):
    """Evaluate the agent every ``eval_freq`` steps on ``eval_env``; keep the best one.

    Args:
        eval_env: a separate ``gymnasium.Env`` (or id) to evaluate in.
        callback_on_new_best: called when the mean return improves (e.g.
            ``StopTrainingOnRewardThreshold``); its False stops training.
        callback_after_eval: called after every evaluation.
        n_eval_episodes: episodes per evaluation.
        eval_freq: steps between evaluations.
        log_path: a directory where ``evaluations.npz`` (``timesteps``, ``results``,
            ``ep_lengths``) is written after each evaluation.
        best_model_save_path: a directory where ``best_model.zip`` is saved on improvement.
        deterministic: evaluate the greedy policy.
        verbose: 1 prints each evaluation.

    Attributes: ``last_mean_reward``, ``best_mean_reward``, ``evaluations_timesteps``,
    ``evaluations_results`` (the episodes' returns of each evaluation), ``evaluations_length``.
    """

    def __init__(self, eval_env, callback_on_new_best=None, callback_after_eval=None,
                 n_eval_episodes=5, eval_freq=10000, log_path=None, best_model_save_path=None,
                 deterministic=True, render=False, verbose=1, warn=True):
        super().__init__(verbose)
        from profond.rl._checks import make_env

        del render, warn  # accepted for SB3's signature
        self.eval_env = make_env(eval_env, "EvalCallback")
        self.n_eval_episodes = integer("n_eval_episodes", n_eval_episodes, "EvalCallback",
                                       minimum=1)
        self.eval_freq = integer("eval_freq", eval_freq, "EvalCallback", minimum=1)
        self.callback_on_new_best = callback_on_new_best
        self.callback_after_eval = callback_after_eval
        for c in (callback_on_new_best, callback_after_eval):
            if c is not None:
                c.parent = self
        self.log_path = log_path
        self.best_model_save_path = best_model_save_path
        self.deterministic = bool(deterministic)
        self.last_mean_reward = -numpy.inf
        self.best_mean_reward = -numpy.inf
        self.evaluations_timesteps, self.evaluations_results, self.evaluations_length = [], [], []

    def _init_callback(self):
        for c in (self.callback_on_new_best, self.callback_after_eval):
            if c is not None:
                c.init_callback(self.model)
        for path in (self.log_path, self.best_model_save_path):
            if path is not None:
                os.makedirs(path, exist_ok=True)

    def _on_step(self):
        if self.n_calls % self.eval_freq != 0:
            return True
        from profond.rl.evaluation import evaluate_policy

        returns, lengths = evaluate_policy(self.model, self.eval_env,
                                           n_eval_episodes=self.n_eval_episodes,
                                           deterministic=self.deterministic,
                                           return_episode_rewards=True)
        self.evaluations_timesteps.append(self.num_timesteps)
        self.evaluations_results.append(list(returns))
        self.evaluations_length.append(list(lengths))
        if self.log_path is not None:
            numpy.savez(os.path.join(self.log_path, "evaluations.npz"),
                        timesteps=numpy.asarray(self.evaluations_timesteps),
                        results=numpy.asarray(self.evaluations_results),
                        ep_lengths=numpy.asarray(self.evaluations_length))
        self.last_mean_reward = float(numpy.mean(returns))
        if self.verbose >= 1:
            print(f"Eval num_timesteps={self.num_timesteps}, episode_reward="
                  f"{self.last_mean_reward:.2f} +/- {float(numpy.std(returns)):.2f}, "
                  f"episode_length={float(numpy.mean(lengths)):.2f}")
        keep_going = True
        if self.last_mean_reward > self.best_mean_reward:
            self.best_mean_reward = self.last_mean_reward
            if self.best_model_save_path is not None:
                self.model.save(os.path.join(self.best_model_save_path, "best_model.zip"))
            if self.callback_on_new_best is not None:
                keep_going = self.callback_on_new_best.on_step() is not False
        if self.callback_after_eval is not None:
            keep_going = (self.callback_after_eval.on_step() is not False) and keep_going
        return keep_going


class StopTrainingOnRewardThreshold(BaseCallback):
    """Stop training once the parent ``EvalCallback``'s best mean return reaches
    ``reward_threshold`` (use it as ``callback_on_new_best``)."""

    def __init__(self, reward_threshold, verbose=0):
        super().__init__(verbose)
        self.reward_threshold = real("reward_threshold", reward_threshold,
                                     "StopTrainingOnRewardThreshold")

    def _on_step(self):
        if self.parent is None:
            raise ValueError("`StopTrainingOnRewardThreshold` must be used as an EvalCallback's "
                             "callback_on_new_best (it reads the evaluation's mean return).")
        keep_going = self.parent.best_mean_reward < self.reward_threshold
        if not keep_going and self.verbose >= 1:
            print(f"Stopping training: the mean return {self.parent.best_mean_reward:.2f} "
                  f"reached the threshold {self.reward_threshold:.2f}")
        return keep_going
