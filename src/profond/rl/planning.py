"""Dynamic programming on a known model: value iteration and policy evaluation.

When the dynamics ``P[s][a] = [(p, s', r, terminated), ...]`` are known (FrozenLake's
``env.unwrapped.P``, the maze's ``transition_model()``), the optimal values solve Bellman's
optimality equation

    V*(s) = maxₐ Q*(s, a),    Q*(s, a) = Σ p · (r + γ · (1 − terminated) · V*(s'))

and value iteration finds them by applying the right-hand side until V stops moving (it is a
γ-contraction, so it converges for γ < 1). The greedy policy π*(s) = argmaxₐ Q*(s, a) is optimal.
These are the exact references that the learning agents are checked against.

>>> P = {0: {0: [(1.0, 1, 0.0, False)], 1: [(1.0, 0, -1.0, True)]},
...      1: {0: [(1.0, 1, 1.0, True)], 1: [(1.0, 0, 0.0, False)]}}
>>> values, policy = value_iteration(P, gamma=0.5)
>>> values.round(3).tolist(), policy.tolist()
([0.5, 1.0], [0, 0])
"""

import numpy

from profond._validation import fail, positive_int, real

__all__ = ["action_values", "policy_evaluation", "transition_arrays", "value_iteration"]


def _model(env_or_P, where):
    """``P`` from an environment (its ``transition_model()`` or its ``P``, through wrappers)
    or given directly."""
    source = getattr(env_or_P, "unwrapped", env_or_P)
    if hasattr(source, "transition_model"):
        return source.transition_model()
    if hasattr(source, "P") and not isinstance(source, (dict, list, tuple)):
        return source.P
    if isinstance(env_or_P, (dict, list, tuple)) and len(env_or_P) > 0:
        return env_or_P
    raise fail("env_or_P", env_or_P, "an environment with a known model (a `transition_model()` "
               "method or a `P` table, as FrozenLake) or the table P[s][a] = "
               "[(probability, next_state, reward, terminated), ...]", where, TypeError)


def transition_arrays(env_or_P, where="transition_arrays"):
    """The model as flat arrays, one entry per outcome: ``(n_states, n_actions, index, prob,
    next_state, reward, terminated)``, ``index = s · n_actions + a``. Backups then cost one
    ``numpy.bincount`` whatever the number of outcomes per action."""
    P = _model(env_or_P, where)
    n_states, n_actions = len(P), len(P[0])
    rows = [(s * n_actions + a, p, s2, r, d)
            for s in range(n_states) for a in range(n_actions) for p, s2, r, d in P[s][a]]
    index, prob, nxt, reward, done = (numpy.array(column) for column in zip(*rows))
    if (nxt < 0).any() or (nxt >= n_states).any():
        raise ValueError(f"`{where}`: Expected next states in 0..{n_states - 1}. "
                         f"Received: {sorted(set(nxt[(nxt < 0) | (nxt >= n_states)].tolist()))}")
    return (n_states, n_actions, index, prob.astype(numpy.float64), nxt,
            reward.astype(numpy.float64), done.astype(bool))


def _backup(arrays, values, gamma):
    """Q(s, a) = Σ p · (r + γ (1 − terminated) V(s')), as an (n_states, n_actions) array."""
    n_states, n_actions, index, prob, nxt, reward, done = arrays
    target = prob * (reward + gamma * numpy.where(done, 0.0, values[nxt]))
    return numpy.bincount(index, target, n_states * n_actions).reshape(n_states, n_actions)


def action_values(env_or_P, values, gamma=0.99):
    """Q(s, a) from state values V: one Bellman backup (``values`` from ``value_iteration``
    give Q*, from ``policy_evaluation`` give Q^π)."""
    gamma = real("gamma", gamma, "action_values", 0, 1)
    arrays = transition_arrays(env_or_P, "action_values")
    return _backup(arrays, numpy.asarray(values, numpy.float64), gamma)


def _greedy(q, tolerance=1e-9):
    """argmaxₐ Q(s, a), ties (up to ``tolerance``) going to the first action, so that rounding
    noise never picks between equally good actions."""
    return numpy.argmax(q >= q.max(axis=1, keepdims=True) - tolerance, axis=1)


def value_iteration(env_or_P, gamma=0.99, theta=1e-10, max_iterations=100_000):
    """Optimal values and a greedy optimal policy: ``(values, policy)``, two arrays of length
    n_states (``float64`` values, ``int64`` actions).

    Sweeps ``V ← maxₐ Σ p (r + γ (1 − terminated) V(s'))`` over all states at once until the
    largest change is below ``theta``. ``env_or_P``: an environment with a known model
    (``MazeEnv``, FrozenLake — wrappers are looked through) or the table ``P`` itself. Ties
    between optimal actions go to the lowest action number.
    """
    gamma = real("gamma", gamma, "value_iteration", 0, 1)
    theta = real("theta", theta, "value_iteration", 0, low_open=True)
    max_iterations = positive_int("max_iterations", max_iterations, "value_iteration")
    arrays = transition_arrays(env_or_P, "value_iteration")
    values = numpy.zeros(arrays[0])
    for _ in range(max_iterations):
        q = _backup(arrays, values, gamma)
        new = q.max(axis=1)
        delta = numpy.abs(new - values).max()
        values = new
        if delta < theta:
            return values, _greedy(_backup(arrays, values, gamma))
    raise RuntimeError(f"`value_iteration`: the values did not converge in {max_iterations} "
                       f"sweeps (last change {delta:.3g}, theta={theta}); with gamma={gamma}, "
                       "a state that never ends collects rewards forever: use gamma < 1")


def policy_evaluation(env_or_P, policy, gamma=0.99, theta=1e-10, max_iterations=100_000):
    """The values V^π(s) of a policy: ``policy`` an array of actions (one per state, a
    deterministic policy) or of probabilities π(a | s) (n_states × n_actions). Sweeps
    ``V ← Σₐ π(a|s) Σ p (r + γ (1 − terminated) V(s'))`` until the largest change is below
    ``theta``.

    >>> P = {0: {0: [(1.0, 1, 0.0, False)], 1: [(1.0, 0, -1.0, True)]},
    ...      1: {0: [(1.0, 1, 1.0, True)], 1: [(1.0, 0, 0.0, False)]}}
    >>> policy_evaluation(P, [1, 0], gamma=0.5).tolist()
    [-1.0, 1.0]
    """
    gamma = real("gamma", gamma, "policy_evaluation", 0, 1)
    theta = real("theta", theta, "policy_evaluation", 0, low_open=True)
    max_iterations = positive_int("max_iterations", max_iterations, "policy_evaluation")
    arrays = transition_arrays(env_or_P, "policy_evaluation")
    n_states, n_actions = arrays[:2]
    policy = numpy.asarray(policy)
    if policy.shape == (n_states,) and numpy.issubdtype(policy.dtype, numpy.integer) \
            and ((policy >= 0) & (policy < n_actions)).all():
        weights = numpy.eye(n_actions)[policy]
    elif policy.shape == (n_states, n_actions) and numpy.allclose(policy.sum(axis=1), 1) \
            and (policy >= 0).all():
        weights = policy.astype(numpy.float64)
    else:
        raise fail("policy", policy, f"{n_states} actions in 0..{n_actions - 1} or an array "
                   f"of shape ({n_states}, {n_actions}) of probabilities summing to 1 per state",
                   "policy_evaluation")
    values = numpy.zeros(n_states)
    for _ in range(max_iterations):
        new = (weights * _backup(arrays, values, gamma)).sum(axis=1)
        delta = numpy.abs(new - values).max()
        values = new
        if delta < theta:
            return values
    raise RuntimeError(f"`policy_evaluation`: the values did not converge in {max_iterations} "
                       f"sweeps (last change {delta:.3g}, theta={theta}); with gamma={gamma}, "
                       "a state that never ends collects rewards forever: use gamma < 1")
