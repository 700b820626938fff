"""``plot_episode_returns``: how an agent's return per episode grew while it learned."""

import numpy

from profond.viz._common import figure_and_axes, finish


def smooth(values, window):
    """The trailing mean over the last ``window`` values (fewer at the start):
    ``s_k = mean(v_max(0, k−window+1) … v_k)``.

    >>> smooth([0, 2, 4, 6], window=2).tolist()
    [0.0, 1.0, 3.0, 5.0]
    """
    values = numpy.asarray(values, dtype=float)
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ValueError(f"Expected `window` to be an integer >= 1. Received: window={window!r}")
    sums = numpy.cumsum(numpy.concatenate([[0.0], values]))
    k = numpy.arange(1, len(values) + 1)
    start = numpy.maximum(k - window, 0)
    return (sums[k] - sums[start]) / (k - start)


def _history(agent_or_history):
    history = getattr(agent_or_history, "history", agent_or_history)
    if not isinstance(history, dict) or "episode_return" not in history:
        raise ValueError("Expected an agent (profond.rl) or its `history` dict with "
                         f"'episode_return'. Received: {agent_or_history!r:.80}")
    return history


def plot_episode_returns(agent_or_history, window=20, x="episode", threshold=None, ax=None,
                         show=False):
    """Plot each episode's return (thin) and its moving average over ``window`` episodes
    (thick), as the agent learned.

    Args:
        agent_or_history: an agent of ``profond.rl`` after ``learn``, or its ``history``.
        window: episodes averaged by the smoothed curve.
        x: ``"episode"`` (episode number) or ``"timesteps"`` (environment steps at the end of
            each episode: how SB3 and papers draw learning curves).
        threshold: a return to mark with a dashed line (CartPole's 475, say).
        ax: draw on these matplotlib axes instead of a new figure.
        show: call ``plt.show()``.

    What the learner sees: returns that are noisy episode by episode (exploration, random
    starts) but whose average climbs; a drop after a climb is the "catastrophic forgetting" deep
    Q-learning is known for.

    >>> fig = plot_episode_returns({"episode_return": [10, 20, 30], "timesteps": [10, 30, 60]},
    ...                            window=2, x="timesteps", threshold=25)
    >>> ax = fig.axes[0]; ax.get_xlabel(), [line.get_label() for line in ax.lines][:2]
    ('Environment steps', ['return', 'mean of 2 episodes'])
    """
    history = _history(agent_or_history)
    returns = numpy.asarray(history["episode_return"], dtype=float)
    if x == "episode":
        where, label = numpy.arange(1, len(returns) + 1), "Episode"
    elif x == "timesteps":
        where, label = numpy.asarray(history.get("timesteps", []), dtype=float), \
            "Environment steps"
        if len(where) != len(returns):
            raise ValueError("The history's 'timesteps' and 'episode_return' differ in length.")
    else:
        raise ValueError(f'Expected `x` to be "episode" or "timesteps". Received: x={x!r}')
    fig, ax = figure_and_axes(ax, figsize=(6.4, 3.8))
    ax.plot(where, returns, "-", color="tab:blue", alpha=0.35, linewidth=0.8, label="return")
    if len(returns):
        ax.plot(where, smooth(returns, window), "-", color="tab:blue", linewidth=2,
                label=f"mean of {window} episodes")
    if threshold is not None:
        ax.axhline(threshold, color="gray", linestyle="dashed", label=f"goal ({threshold:g})")
    ax.set_xlabel(label)
    ax.set_ylabel("Return")
    ax.set_title("Return per episode")
    ax.legend(loc="best")
    return finish(fig, show)
