"""Checks shared by the agents: the environment they are given and the spaces it declares.

An agent supports some kinds of spaces only (tabular Q-learning needs ``Discrete`` observations
and actions, DQN ``Discrete`` actions). A mismatch fails when the agent is built, naming the
agent, what it expects and what it received, in the words of ``profond._validation``::

    `QLearning`: Expected `env.observation_space` to be Discrete. Received: Box(-4.8, 4.8, ...)
"""

import gymnasium

from profond._validation import fail

__all__ = ["check_space", "make_env", "space_name"]


def space_name(kind):
    """``spaces.Discrete`` → ``"Discrete"``; a tuple of kinds → ``"Discrete or Box"``."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def make_env(env, where):
    """``env`` as a ``gymnasium.Env``: an environment is returned as is, an id string goes
    through ``gymnasium.make`` (an unknown id raises Gymnasium's own error, which lists close
    names). Anything else is refused with a message naming ``where`` (the agent)."""
    if isinstance(env, str):
        return gymnasium.make(env)
    if not isinstance(env, gymnasium.Env):
        raise fail("env", env, "a gymnasium.Env or an environment id string", where, TypeError)
    return env


def check_space(env, attribute, kind, where):
    """``env.<attribute>`` (``"observation_space"`` or ``"action_space"``) must be an instance
    of ``kind`` (a space class or a tuple of them); returns the space.

    >>> from gymnasium import spaces
    >>> env = gymnasium.make("CartPole-v1")
    >>> check_space(env, "action_space", spaces.Discrete, "DQN")
    Discrete(2)
    >>> check_space(env, "observation_space", spaces.Discrete, "QLearning")
    Traceback (most recent call last):
        ...
    ValueError: `QLearning`: Expected `env.observation_space` to be Discrete. Received: ...
    """
    space = getattr(env, attribute)
    if not isinstance(space, kind):
        raise ValueError(f"`{where}`: Expected `env.{attribute}` to be {space_name(kind)}. "
                         f"Received: {space}")
    return space
