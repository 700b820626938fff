"""The maze environment, value iteration and policy evaluation, evaluate_policy."""

import collections

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import profond.rl
from profond.rl import MAZES, MazeEnv, evaluate_policy, policy_evaluation, value_iteration
from profond.rl._checks import check_space, make_env
from profond.rl.planning import action_values, transition_arrays


def _at(env, state):
    """Put the robot on ``state`` (a test shortcut for 'an episode that got there')."""
    env.reset(seed=0)
    env.unwrapped.state = state
    return env


# --------------------------------------------------------------------------------------------
# The environment
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(MAZES))
@pytest.mark.parametrize("slippery", [0.0, 0.3])
@pytest.mark.parametrize("render_mode", ["ansi", "rgb_array"])
def test_every_built_in_maze_passes_gymnasiums_checker(name, slippery, render_mode):
    env = gymnasium.make("profond/Maze-v0", maze=name, slippery=slippery,
                         render_mode=render_mode)
    check_env(env.unwrapped, skip_render_check=False)
    rows = MAZES[name].splitlines()
    assert env.observation_space == gymnasium.spaces.Discrete(len(rows) * len(rows[0]))
    assert env.action_space == gymnasium.spaces.Discrete(4)


def test_the_courses_robot_maze_is_built_in_with_traps():
    grid = MazeEnv("robot").desc
    assert 5 <= grid.shape[0] <= 8 and 5 <= grid.shape[1] <= 8
    assert (grid == "T").sum() >= 2 and (grid == "#").sum() >= 5


def test_moves_walls_edges_traps_and_exit():
    env = MazeEnv("S.#\n.T.\n..E", step_reward=-0.5, trap_reward=-7.0, exit_reward=3.0)
    assert env.reset(seed=1) == (0, {})
    assert env.step(0)[:4] == (0, -0.5, False, False)        # up: off the grid, stays
    assert env.step(3)[:4] == (0, -0.5, False, False)        # left: off the grid, stays
    assert env.step(1)[:4] == (1, -0.5, False, False)        # right
    assert env.step(1)[:4] == (1, -0.5, False, False)        # right: a wall, stays
    assert env.step(2)[:4] == (4, -7.0, True, False)         # down: the trap ends it
    assert env.step(2)[:4] == (4, 0.0, True, False)          # after the end nothing moves
    env.reset()
    for action, cell in [(2, 3), (2, 6), (1, 7)]:
        assert env.step(action)[0] == cell
    assert env.step(1)[:4] == (8, 3.0, True, False)          # the exit


def test_actions_are_up_right_down_left_and_bad_actions_are_refused():
    env = _at(MazeEnv("...\n.S.\n..E"), 4)
    for action, cell in [(0, 1), (1, 5), (2, 7), (3, 3)]:
        env.unwrapped.state = 4
        assert env.step(action)[0] == cell
    for bad in (4, -1, 1.5, "up"):
        with pytest.raises(ValueError, match=r"Expected an action in 0\.\.3.*Received"):
            env.step(bad)


def test_max_steps_truncates():
    env = MazeEnv("S..\n...\n..E", max_steps=3)
    env.reset(seed=0)
    assert [env.step(0)[3] for _ in range(3)] == [False, False, True]
    env.reset()
    assert not env.step(0)[3]                                 # reset starts the count again
    assert MazeEnv("S.\n.E").max_steps == 16                  # default: 4 × cells


def test_the_registered_id_passes_the_arguments():
    env = gymnasium.make("profond/Maze-v0", maze="labyrinth", slippery=0.1, max_steps=7)
    assert isinstance(env.unwrapped, MazeEnv)
    assert env.unwrapped.slippery == 0.1 and env.unwrapped.max_steps == 7
    assert env.unwrapped.desc.shape == (8, 8)


def test_maze_text_forms():
    indented = """
        S.#
        ..E
    """
    assert (MazeEnv(indented).desc == MazeEnv(["S.#", "..E"]).desc).all()
    assert MazeEnv("robot").desc.shape == MazeEnv(MAZES["robot"]).desc.shape


@pytest.mark.parametrize("maze, message", [
    ("..\n.E", r"the maze to have exactly one start 'S'. Received: 0 starts"),
    ("S.\n.S\n.E", r"the maze to have exactly one start 'S'. Received: 2 starts at "
                   r"\(row, column\) \[\[0, 0\], \[1, 1\]\]"),
    ("S.\n..", r"the maze to have at least one exit 'E'. Received: none"),
    ("S.\n.x\nE.", r"the maze to hold only '#', 'S', 'E', 'T' and '.'. Received: 'x' at row 1, "
                   r"column 1"),
    ("S .\n..E", r"the maze to hold only .* Received: ' ' at row 0, column 1"),
    ("S..\n.E\n...", r"every row of the maze to have 3 cells.*Received: row 1 .* has 2"),
    ("", r"`maze` to be a non-empty text map"),
    (42, r"`maze` to be a text map or one of the built-in names"),
])
def test_bad_maps_are_refused_naming_what_is_wrong(maze, message):
    with pytest.raises(ValueError, match=r"`MazeEnv`: Expected " + message):
        MazeEnv(maze)


@pytest.mark.parametrize("kwargs, message", [
    ({"slippery": 1.0}, r"`slippery` to be a float in \[0, 1\). Received: slippery=1.0"),
    ({"slippery": -0.1}, r"`slippery` to be a float in \[0, 1\). Received: slippery=-0.1"),
    ({"max_steps": 0}, r"`max_steps` to be a positive integer or None. Received: max_steps=0"),
    ({"step_reward": float("nan")}, r"`step_reward` to be a finite float"),
    ({"render_mode": "human"}, r"`render_mode` to be None, 'ansi' or 'rgb_array'"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=r"`MazeEnv`: Expected " + message):
        MazeEnv("S.E", **kwargs)


def test_ansi_render_shows_the_robot_and_the_last_action():
    env = MazeEnv("S.#\n..E", render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "A.#\n..E\n"
    env.step(2)
    assert env.render() == "  (down)\nS.#\nA.E\n"
    assert MazeEnv("S.E").render() is None                    # no render_mode: nothing


def test_rgb_render_draws_one_block_per_cell_and_the_robot():
    env = MazeEnv("S.#\n.TE", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(1)
    image = env.render()
    assert image.shape == (32, 48, 3) and image.dtype == np.uint8
    where = {"S": (0, 0), "wall": (0, 2), "trap": (1, 1), "exit": (1, 2), "robot": (0, 1)}
    centre = {cell: tuple(image[16 * r + 8, 16 * c + 8]) for cell, (r, c) in where.items()}
    assert len(set(centre.values())) == 5                     # five different colours
    assert centre["trap"][0] > 200 and centre["exit"][1] > 150 and max(centre["wall"]) < 100


def test_slipping_follows_the_transition_model():
    env = MazeEnv("...\n.S.\n..E", slippery=0.4)
    env.reset(seed=3)
    counts = collections.Counter()
    n = 4000
    for _ in range(n):
        env.state = 4
        counts[env.step(0)[0]] += 1
    model = {nxt: p for p, nxt, _, _ in env.transition_model()[4][0]}
    assert model == pytest.approx({1: 0.6, 5: 0.2, 3: 0.2})
    for cell, p in model.items():                              # within 4 standard deviations
        assert abs(counts[cell] / n - p) < 4 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("name", sorted(MAZES))
def test_the_transition_model_is_what_step_does(name):
    env = MazeEnv(name, slippery=0.2)
    P = env.transition_model()
    env_det = MazeEnv(name)
    for s in range(env.desc.size):
        for a in range(4):
            assert sum(p for p, *_ in P[s][a]) == pytest.approx(1.0)
            if env.terminal[s]:
                assert P[s][a] == [(1.0, s, 0.0, True)]
                continue
            _at(env_det, s)
            nxt, reward, terminated, _, _ = env_det.step(a)
            assert (1.0, nxt, reward, terminated) in env_det.transition_model()[s][a]
            assert nxt in [n for _, n, _, _ in P[s][a]]


def test_frozenlakes_name_for_the_model_and_drawing_a_policy():
    env = gymnasium.make("profond/Maze-v0", maze="S.#\n.TE")
    assert env.unwrapped.P is env.unwrapped.transition_model()
    assert env.unwrapped.draw_policy([1, 2, 0, 0, 3, 0]) == "→↓#\n↑TE"
    with pytest.raises(ValueError, match=r"`MazeEnv.draw_policy`: Expected `policy` to be one "
                                         r"action in 0\.\.3 per state \(6\)"):
        env.unwrapped.draw_policy([1, 2, 0, 0, 4, 0])


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------
def _shortest_path_steps(env):
    """Steps from the start to the nearest exit avoiding traps (breadth-first search)."""
    frontier, seen, steps = [env.start], {env.start}, 0
    while frontier:
        steps += 1
        nxt = []
        for s in frontier:
            for a in range(4):
                t = int(env.moves[s, a])
                if t in seen or env.desc.ravel()[t] == "T":
                    continue
                if env.desc.ravel()[t] == "E":
                    return steps
                seen.add(t)
                nxt.append(t)
        frontier = nxt
    raise AssertionError("no path")


@pytest.mark.parametrize("name", sorted(MAZES))
def test_value_iteration_finds_the_shortest_safe_path(name):
    env = MazeEnv(name)
    gamma = 0.95
    values, policy = value_iteration(env, gamma=gamma)
    d = _shortest_path_steps(env)
    expected = sum(gamma ** k * env.step_reward for k in range(d - 1)) + gamma ** (d - 1) * 1.0
    assert values[env.start] == pytest.approx(expected, abs=1e-8)
    _at(env, env.start)                                        # following the policy does it
    for _ in range(d):
        state, reward, terminated, _, _ = env.step(policy[env.state])
    assert terminated and reward == env.exit_reward


def _exact_values(P, policy, gamma):
    """V^π by solving the linear system (I − γ P_π) V = r_π."""
    n_states, n_actions, index, prob, nxt, reward, done = transition_arrays(P)
    s, a = np.divmod(index, n_actions)
    mine = policy[s] == a
    transition = np.zeros((n_states, n_states))
    np.add.at(transition, (s[mine], nxt[mine]), prob[mine] * ~done[mine])
    expected_reward = np.bincount(s[mine], prob[mine] * reward[mine], n_states)
    return np.linalg.solve(np.eye(n_states) - gamma * transition, expected_reward)


@pytest.mark.parametrize("source", ["frozenlake", "frozenlake8", "maze"])
def test_value_iteration_is_optimal_on_frozenlake_and_a_slippery_maze(source):
    env = {"frozenlake": lambda: gymnasium.make("FrozenLake-v1"),
           "frozenlake8": lambda: gymnasium.make("FrozenLake-v1", map_name="8x8"),
           "maze": lambda: MazeEnv("robot", slippery=0.3)}[source]()
    P = env.unwrapped.transition_model() if source == "maze" else env.unwrapped.P
    values, policy = value_iteration(env, gamma=0.99)
    # its values are its policy's values (solved exactly) ...
    np.testing.assert_allclose(values, _exact_values(P, policy, 0.99), atol=1e-7)
    np.testing.assert_allclose(policy_evaluation(P, policy, 0.99), values, atol=1e-7)
    # ... which no other policy beats: no single-step change improves any state,
    q = action_values(P, values, 0.99)
    assert (q.max(axis=1) <= values + 1e-8).all()
    # and random policies are worse everywhere.
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = rng.integers(0, 4, len(values))
        assert (_exact_values(P, other, 0.99) <= values + 1e-8).all()
    if source == "frozenlake":                                 # the known optimum
        assert values[0] == pytest.approx(0.542, abs=1e-3)


def test_policy_evaluation_takes_probabilities():
    env = MazeEnv("robot", slippery=0.2)
    uniform = np.full((env.desc.size, 4), 0.25)
    by_hand = sum(policy_evaluation(env, np.full(env.desc.size, a), 0.9) for a in range(4))
    values = policy_evaluation(env, uniform, 0.9)
    assert values[env.start] < value_iteration(env, 0.9)[0][env.start]
    # a mixture's values are not the mixture of values, but their Bellman equation holds:
    q = action_values(env, values, 0.9)
    np.testing.assert_allclose((uniform * q).sum(axis=1), values, atol=1e-8)
    assert not np.allclose(values, by_hand / 4)


def test_planning_bad_input():
    P = {0: {0: [(1.0, 0, -1.0, False)]}}
    with pytest.raises(RuntimeError, match=r"did not converge in 50 sweeps.*gamma=1.0"):
        value_iteration(P, gamma=1.0, max_iterations=50)
    with pytest.raises(ValueError, match=r"`value_iteration`: Expected `gamma` to be a float "
                                         r"in \[0, 1\]. Received: gamma=1.5"):
        value_iteration(P, gamma=1.5)
    with pytest.raises(TypeError, match=r"`value_iteration`: Expected `env_or_P` to be an "
                                        r"environment with a known model"):
        value_iteration(gymnasium.make("CartPole-v1"))
    with pytest.raises(ValueError, match=r"Expected next states in 0\.\.0. Received: \[3\]"):
        value_iteration({0: {0: [(1.0, 3, 0.0, False)]}})
    with pytest.raises(ValueError, match=r"`policy_evaluation`: Expected `policy` to be 36 "
                                         r"actions in 0\.\.3 or an array of shape \(36, 4\)"):
        policy_evaluation(MazeEnv("robot"), np.full(36, 4))


# --------------------------------------------------------------------------------------------
# evaluate_policy and the space checks
# --------------------------------------------------------------------------------------------
class _Always:
    """A stand-in agent with SB3's predict: always the same action, counting its calls."""

    def __init__(self, action):
        self.action, self.calls = action, []

    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        self.calls.append((int(observation), episode_start, deterministic))
        return np.array(self.action), state


def test_evaluate_policy_returns_mean_and_std_or_the_episodes():
    env = MazeEnv("S.E\nT..", max_steps=5)
    mean, std = evaluate_policy(_Always(1), env, n_eval_episodes=4)
    assert mean == pytest.approx(0.99) and std == pytest.approx(0.0)
    returns, lengths = evaluate_policy(_Always(0), env, n_eval_episodes=2,
                                       return_episode_rewards=True)
    assert returns == pytest.approx([-0.05, -0.05]) and lengths == [5, 5]  # truncated
    agent = _Always(2)
    assert evaluate_policy(agent, env, 3, deterministic=False) == (-1.0, 0.0)
    assert agent.calls == [(0, True, False)] * 3


def test_evaluate_policy_of_value_iterations_policy_on_frozenlake_is_seeded():
    env = gymnasium.make("FrozenLake-v1")
    _, policy = value_iteration(env, gamma=0.99)
    first = evaluate_policy(policy, env, 200, seed=5, return_episode_rewards=True)
    assert evaluate_policy(policy, env, 200, seed=5, return_episode_rewards=True) == first
    assert 0.6 < np.mean(first[0]) < 0.9                       # optimal ≈ 0.74


def test_evaluate_policy_bad_input():
    with pytest.raises(TypeError, match=r"`evaluate_policy`: Expected `agent` to be an agent "
                                        r"with a `predict` method or an array of actions"):
        evaluate_policy("greedy", MazeEnv())
    with pytest.raises(ValueError, match=r"`n_eval_episodes` to be a positive integer. "
                                         r"Received: n_eval_episodes=0"):
        evaluate_policy(_Always(0), MazeEnv(), 0)
    with pytest.raises(TypeError, match=r"`evaluate_policy`: Expected `env` to be a "
                                        r"gymnasium.Env or an environment id string"):
        evaluate_policy(_Always(0), object())


def test_space_checks():
    assert isinstance(make_env("profond/Maze-v0", "QLearning").unwrapped, MazeEnv)
    with pytest.raises(ValueError, match=r"`DQN`: Expected `env.action_space` to be Discrete. "
                                         r"Received: Box\(-1.0, 1.0, \(1,\), float32\)"):
        check_space(gymnasium.make("MountainCarContinuous-v0"), "action_space",
                    gymnasium.spaces.Discrete, "DQN")
    assert "MazeEnv" in profond.rl.__all__ and "value_iteration" in profond.rl.__all__


def test_reachable_cells_stop_at_walls_traps_and_exits():
    env = MazeEnv("S.T.\n##.#\n.#E.")
    # the only way on passes through the trap, which ends the walk: the exit is out of reach
    assert np.flatnonzero(env.reachable()).tolist() == [0, 1, 2]
    assert np.flatnonzero(MazeEnv("S..\n#T.\n..E").reachable()).tolist() == [0, 1, 2, 4, 5, 8]
    assert env.reachable().tolist() == MazeEnv("S.T.\n##.#\n.#E.", slippery=0.5).reachable(
        ).tolist()
