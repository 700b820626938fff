"""Tabular Q-learning and SARSA: the update rule, exploration, files, and the acceptance numbers
(the maze's optimal policy, FrozenLake's success rate)."""

import json
import time
import zipfile

import gymnasium
import numpy as np
import pytest
import safetensors.numpy

from profond.rl import MAZES, SARSA, Agent, MazeEnv, QLearning, evaluate_policy, value_iteration
from profond.rl.planning import action_values
from profond.saving import FileFormatError


def _reachable(env):
    """States reachable from the start (stopping at exits and traps)."""
    return np.flatnonzero(env.reachable())


def _greedy_path(agent, maze):
    """The cells the agent's greedy policy visits from the start, and the last reward."""
    env = MazeEnv(maze)
    state, _ = env.reset(seed=0)
    cells = [env.cell(state)]
    for _ in range(4 * env.desc.size):
        state, reward, terminated, truncated, _ = env.step(
            int(agent.predict(state, deterministic=True)[0]))
        cells.append(env.cell(state))
        if terminated or truncated:
            break
    return cells, reward


# --------------------------------------------------------------------------------------------
# Acceptance
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(MAZES))
def test_q_learning_finds_value_iterations_policy_on_every_built_in_maze(name):
    env = gymnasium.make("profond/Maze-v0", maze=name)
    values, policy = value_iteration(env, gamma=0.99)
    q = np.sort(action_values(env, values, 0.99), axis=1)
    reachable = _reachable(env.unwrapped)
    checked = reachable[(q[reachable, -1] - q[reachable, -2] > 1e-6)
                        & ~env.unwrapped.terminal[reachable]]
    assert len(checked) >= 0.4 * len(reachable)  # most states have one best action
    start = time.process_time()
    # a deterministic maze: α = 1 is the right step; the ε decay keeps exploring (off-policy)
    agent = QLearning(env, learning_rate=1.0, gamma=0.99, exploration_fraction=0.5,
                      exploration_final_eps=0.1, seed=0).learn(50_000)
    seconds = time.process_time() - start
    greedy = agent.q_table.argmax(axis=1)
    wrong = checked[greedy[checked] != policy[checked]]
    assert not len(wrong), f"{name}: greedy action differs at {wrong.tolist()}"
    assert seconds < 2.0, f"{name}: {seconds:.2f} s of CPU"


def test_q_learning_on_slippery_frozenlake_succeeds_like_the_optimal_policy():
    """Issue 16: success ≥ 0.70 over 1,000 episodes on 3 seeds (examples/rl_frozenlake.py prints
    those). Here one seed, 400 episodes: the optimum is 0.74, and the mean of 400 Bernoulli(0.70)
    has a standard deviation of 0.023, so ≥ 0.66 is the issue's bar less two of them."""
    env = gymnasium.make("FrozenLake-v1")
    agent = QLearning(env, learning_rate=0.1, gamma=0.99, exploration_fraction=0.5,
                      exploration_final_eps=0.05, seed=0).learn(30_000)
    success, _ = evaluate_policy(agent, gymnasium.make("FrozenLake-v1"), 400, seed=1)
    _, optimal = value_iteration(env, gamma=0.99)
    reference, _ = evaluate_policy(optimal, gymnasium.make("FrozenLake-v1"), 400, seed=1)
    assert success >= 0.66 and reference >= 0.66
    assert abs(success - reference) < 0.1


def test_sarsa_keeps_away_from_the_cliff_where_q_learning_walks_along_it():
    """Sutton & Barto's cliff walk: with a constant ε = 0.1, Q-learning learns the optimal path
    next to the traps, SARSA (which pays for its own exploratory steps) the safer one."""
    kwargs = dict(learning_rate=0.5, gamma=0.99, exploration_fraction=0.0,
                  exploration_final_eps=0.1, seed=0)
    q_path, q_reward = _greedy_path(QLearning(MazeEnv("cliff"), **kwargs).learn(20_000),
                                    "cliff")
    s_path, s_reward = _greedy_path(SARSA(MazeEnv("cliff"), **kwargs).learn(20_000), "cliff")
    assert q_reward == s_reward == 1.0
    assert len(q_path) == 10 and min(r for r, _ in q_path) == 1   # 9 steps, along the edge
    assert len(s_path) > 10 and min(r for r, _ in s_path) == 0    # the far row


# --------------------------------------------------------------------------------------------
# The update rules, checked against a table updated by hand
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [QLearning, SARSA])
def test_each_step_applies_the_update_rule(cls):
    env = MazeEnv("S.T\n..E", max_steps=1000)  # no truncation: every episode ends in E or T
    steps = []

    def record(local, _globals):
        steps.append((local["obs"], local["action"], local["reward"], local["new_obs"],
                      local["terminated"]))
        return True

    agent = cls(env, learning_rate=0.5, gamma=0.9, exploration_initial_eps=0.4,
                exploration_final_eps=0.4, seed=3).learn(300, callback=record)
    q = np.zeros((6, 4))
    for i, (s, a, r, s2, terminated) in enumerate(steps[:-1]):
        if terminated:
            target = r
        elif cls is QLearning:
            target = r + 0.9 * q[s2].max()
        else:  # SARSA: the action it really took next
            target = r + 0.9 * q[s2, steps[i + 1][1]]
        q[s, a] += 0.5 * (target - q[s, a])
    s, a, r, s2, terminated = steps[-1]  # the last one's next action was drawn, not taken
    if terminated or cls is QLearning:
        q[s, a] += 0.5 * ((r if terminated else r + 0.9 * q[s2].max()) - q[s, a])
    else:
        q[s, a] = agent.q_table[s, a]
    assert len(steps) == 300 and sum(step[4] for step in steps) > 10
    np.testing.assert_allclose(agent.q_table, q, atol=1e-12)
    assert np.count_nonzero(q) > 6


def test_exploration_decays_linearly_then_stays():
    env = MazeEnv("robot")
    rates = []
    agent = QLearning(env, exploration_fraction=0.25, exploration_initial_eps=0.9,
                      exploration_final_eps=0.1, seed=0)
    agent.learn(400, callback=lambda local, _: rates.append(local["self"].exploration_rate))
    # ε at step k (counted from 0) uses the progress before it: k / 400
    expected = [0.9 + (0.1 - 0.9) * min(k / 100, 1.0) for k in range(400)]
    np.testing.assert_allclose(rates, expected, atol=1e-12)
    assert agent.exploration_rate == pytest.approx(0.1)


def test_exploration_shares_and_greedy_ties():
    env = MazeEnv("robot")
    agent = QLearning(env, exploration_fraction=0.0, exploration_final_eps=0.3, seed=1)
    agent.exploration_rate = 0.3
    agent.q_table[0] = [0.0, 1.0, 0.0, 0.0]                  # 1 is best
    actions = [agent._epsilon_greedy(0) for _ in range(4000)]
    share = np.bincount(actions, minlength=4) / 4000
    np.testing.assert_allclose(share, [0.075, 0.775, 0.075, 0.075], atol=0.03)
    agent.q_table[0] = [0.5, 0.0, 0.5, 0.0]                  # a tie: both, at random
    agent.exploration_rate = 0.0
    assert set(agent._epsilon_greedy(0) for _ in range(200)) == {0, 2}


def test_predict_is_greedy_when_deterministic_and_takes_batches():
    agent = QLearning(MazeEnv("tiny"), seed=0)
    agent.q_table[:, 3] = 1.0                               # everywhere: left ...
    agent.q_table[3] = [0.0, 0.0, 5.0, 0.0]                 # ... but down in state 3
    action, state = agent.predict(3, deterministic=True)
    assert int(action) == 2 and state is None
    batch, _ = agent.predict(np.array([3, 3, 0]), deterministic=True)
    assert batch.tolist() == [2, 2, 3]
    agent.exploration_rate = 1.0
    random_actions = agent.predict(np.full(400, 3), deterministic=False)[0]
    assert set(random_actions.tolist()) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match=r"`QLearning.predict`: Expected observations in "
                                         r"\[0, 12\)"):
        agent.predict(12)


def test_learn_continues_and_a_callback_can_stop_it():
    agent = QLearning(MazeEnv("robot"), learning_rate=0.5, seed=0)
    agent.learn(1000)
    table = agent.q_table.copy()
    agent.learn(500, reset_num_timesteps=False)
    assert agent.num_timesteps == 1500 and not np.array_equal(table, agent.q_table)
    agent.learn(1000, callback=lambda local, _: local["self"].num_timesteps < 10)
    assert agent.num_timesteps == 10
    assert len(agent.history["episode_return"]) == len(agent.history["episode_length"])


def test_verbose_prints_the_exploration_rate(capsys):
    QLearning(MazeEnv("tiny"), verbose=1, seed=0).learn(3000, log_interval=50)
    out = capsys.readouterr().out
    assert "exploration_rate" in out and "ep_rew_mean" in out


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [QLearning, SARSA])
def test_save_and_load_round_trip(cls, tmp_path):
    agent = cls("profond/Maze-v0", learning_rate=0.3, gamma=0.95, exploration_fraction=0.2,
                exploration_final_eps=0.02, seed=4).learn(2000)
    agent.save(tmp_path / "agent.zip")
    loaded = Agent.load(tmp_path / "agent.zip", env=MazeEnv())
    assert type(loaded) is cls
    np.testing.assert_array_equal(loaded.q_table, agent.q_table)
    assert (loaded.learning_rate, loaded.gamma, loaded.exploration_fraction,
            loaded.exploration_final_eps) == (0.3, 0.95, 0.2, 0.02)
    assert loaded.num_timesteps == 2000 and loaded.history == agent.history
    assert loaded.exploration_rate == agent.exploration_rate == pytest.approx(0.02)
    observations = np.arange(12)
    np.testing.assert_array_equal(loaded.predict(observations, deterministic=True)[0],
                                  agent.predict(observations, deterministic=True)[0])
    loaded.learn(100, reset_num_timesteps=False)
    assert loaded.num_timesteps == 2100
    predict_only = cls.load(tmp_path / "agent.zip")
    assert predict_only.get_env() is None and predict_only.q_table.shape == (12, 4)


def _replace_q_table(path, out, table):
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    arrays = safetensors.numpy.load(members["arrays.safetensors"])
    arrays["agent/q_table"] = table
    members["arrays.safetensors"] = safetensors.numpy.save(arrays)
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("table, received", [
    (np.zeros((3, 4)), r"shape \(3, 4\)"),
    (np.full((12, 4), np.nan), r"shape \(12, 4\), dtype float64"),
    (np.zeros((12, 4), np.int64), r"shape \(12, 4\), dtype int64"),
])
def test_a_bad_q_table_in_a_file_is_refused(tmp_path, table, received):
    QLearning(MazeEnv(), seed=0).save(tmp_path / "agent.zip")
    _replace_q_table(tmp_path / "agent.zip", tmp_path / "bad.zip", table)
    with pytest.raises(FileFormatError, match=r"Expected a finite float q_table of shape "
                                              r"\(12, 4\). Received: " + received):
        QLearning.load(tmp_path / "bad.zip")


def test_a_bad_exploration_rate_in_a_file_is_refused(tmp_path):
    QLearning(MazeEnv(), seed=0).save(tmp_path / "agent.zip")
    with zipfile.ZipFile(tmp_path / "agent.zip") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    document = json.loads(members["agent.json"])
    document["state"]["exploration_rate"] = 5.0
    members["agent.json"] = json.dumps(document).encode()
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(FileFormatError, match=r"state is invalid.*`QLearning.load`: Expected "
                                              r"`exploration_rate` to be a float between 0 and "
                                              r"1. Received: exploration_rate=5.0"):
        QLearning.load(tmp_path / "bad.zip")


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0.0}, r"`learning_rate` to be a float in \(0, 1\] or a schedule. "
                             r"Received: learning_rate=0.0"),
    ({"learning_rate": 1.5}, r"`learning_rate` to be a float in \(0, 1\] or a schedule"),
    ({"gamma": 1.1}, r"`gamma` to be a float in \[0, 1\]. Received: gamma=1.1"),
    ({"exploration_final_eps": -0.1}, r"`exploration_final_eps` to be a float between 0 and 1"),
    ({"exploration_fraction": 2}, r"`exploration_fraction` to be a float between 0 and 1"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=r"`SARSA`: Expected " + message):
        SARSA(MazeEnv(), **kwargs)


def test_spaces_and_budgets_are_checked():
    with pytest.raises(ValueError, match=r"`QLearning`: Expected `env.observation_space` to be "
                                         r"Discrete. Received: Box"):
        QLearning("CartPole-v1")
    with pytest.raises(ValueError, match=r"`QLearning.learn`: Expected `total_timesteps` to be "
                                         r"an integer >= 1. Received: total_timesteps=0"):
        QLearning(MazeEnv()).learn(0)
