"""The courses' maze: a robot learns to reach the exit while avoiding the traps.

A ``gymnasium.Env`` on a grid given as text, one character a cell::

    S..#        S start     E exit (reward ``exit_reward``, the episode ends)
    .#T.        # wall      T trap (reward ``trap_reward``, the episode ends)
    ...E        . free      every other move costs ``step_reward``

The observation is the index of the robot's cell, ``s = row · ncol + col`` (``Discrete``, as in
FrozenLake); the actions are 0 up, 1 right, 2 down, 3 left. A move into a wall or off the grid
leaves the robot where it is (and still costs a step). With ``slippery = p`` the robot slides
to one of the two perpendicular directions with probability p/2 each, and goes where it was
told with probability 1 − p. ``transition_model()`` gives the exact dynamics
``P[s][a] = [(p, s', r, terminated), ...]`` that value iteration plans with.

>>> env = MazeEnv("S.\\nTE")
>>> env.reset(seed=0)
(0, {})
>>> env.step(1)
(1, -0.01, False, False, {'slipped': False})
>>> env.step(2)
(3, 1.0, True, False, {'slipped': False})
>>> env.transition_model()[0][2]
[(1.0, 2, -1.0, True)]
"""

import gymnasium
import numpy
from gymnasium import spaces

from profond._validation import fail, positive_int, real
from profond.rl.envs.maps import MAZES

__all__ = ["ACTION_NAMES", "MOVES", "MazeEnv", "parse_maze"]

ACTION_NAMES = ("up", "right", "down", "left")
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (row, col) step of each action
CELLS = "#SET."
ARROWS = "↑→↓←"
# Colours of the rgb_array image, one per cell kind, and of the robot.
COLOURS = {"#": (52, 58, 64), "S": (173, 200, 255), "E": (64, 192, 87), "T": (224, 49, 49),
           ".": (241, 243, 245)}
ROBOT = (25, 113, 194)
CELL_PIXELS = 16


def parse_maze(maze, where="MazeEnv"):
    """The maze text (or a built-in name of ``MAZES``, or a list of row strings) as a 2-D array
    of one-character strings, checked: rectangular, only ``#SET.``, exactly one start, at least
    one exit. Surrounding blank lines and the indentation of each row are ignored, so a map can
    be written as an indented triple-quoted string.

    >>> parse_maze("S.#\\n..E").tolist()
    [['S', '.', '#'], ['.', '.', 'E']]
    >>> parse_maze("S.\\n.X")
    Traceback (most recent call last):
        ...
    ValueError: `MazeEnv`: Expected the maze to hold only ... Received: 'X' at row 1, column 1 ...
    """
    if isinstance(maze, str) and maze in MAZES:
        maze = MAZES[maze]
    if isinstance(maze, (list, tuple)) and all(isinstance(row, str) for row in maze):
        maze = "\n".join(maze)
    if not isinstance(maze, str):
        raise fail("maze", maze, f"a text map or one of the built-in names {sorted(MAZES)}",
                   where)
    rows = [row.strip() for row in maze.strip().splitlines()]
    if not rows or not rows[0]:
        raise fail("maze", maze, "a non-empty text map (rows of '#', 'S', 'E', 'T' and '.') "
                   f"or one of the built-in names {sorted(MAZES)}", where)
    for r, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError(f"`{where}`: Expected every row of the maze to have "
                             f"{len(rows[0])} cells, as the first one. Received: row {r} "
                             f"(counted from 0) has {len(row)}: {row!r}")
        for c, char in enumerate(row):
            if char not in CELLS:
                raise ValueError(f"`{where}`: Expected the maze to hold only '#', 'S', 'E', "
                                 f"'T' and '.'. Received: {char!r} at row {r}, column {c} "
                                 "(counted from 0)")
    grid = numpy.array([list(row) for row in rows])
    starts = numpy.argwhere(grid == "S").tolist()
    if len(starts) != 1:
        raise ValueError(f"`{where}`: Expected the maze to have exactly one start 'S'. "
                         f"Received: {len(starts)} starts"
                         + (f" at (row, column) {starts}" if starts else ""))
    if not (grid == "E").any():
        raise ValueError(f"`{where}`: Expected the maze to have at least one exit 'E'. "
                         "Received: none")
    return grid


class MazeEnv(gymnasium.Env):
    """A maze on a grid, as a Gymnasium environment (registered as ``profond/Maze-v0``).

    Args:
        maze: the map as text (rows of ``#SET.``), a list of row strings, or the name of a
            built-in map of ``MAZES`` (``"robot"`` is the courses' example).
        slippery: probability p ∈ [0, 1) of sliding sideways (p/2 to each perpendicular side).
        step_reward: reward of every move that does not end the episode (a small cost).
        trap_reward: reward for stepping on a trap ``T``; the episode ends.
        exit_reward: reward for reaching an exit ``E``; the episode ends.
        max_steps: the episode is truncated after this many steps (default: 4 × the number
            of cells).
        render_mode: None, ``"ansi"`` (the grid as text, ``A`` the robot) or ``"rgb_array"``
            (an image of ``16·nrow × 16·ncol × 3`` uint8, one block a cell).

    Attributes:
        desc: the map, an (nrow, ncol) array of one-character strings.
        start: the start's state index; ``state``: the robot's now.
        terminal: per state, True for exits, traps and walls (never entered).
        moves: (n_states, 4) array, the state each action leads to without slipping.
        rewards: per state, the reward for entering it.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, maze=MAZES["tiny"], slippery=0.0, step_reward=-0.01, trap_reward=-1.0,
                 exit_reward=1.0, max_steps=None, render_mode=None):
        self.desc = parse_maze(maze)
        self.nrow, self.ncol = self.desc.shape
        self.slippery = real("slippery", slippery, "MazeEnv", 0, 1, high_open=True)
        self.step_reward = real("step_reward", step_reward, "MazeEnv")
        self.trap_reward = real("trap_reward", trap_reward, "MazeEnv")
        self.exit_reward = real("exit_reward", exit_reward, "MazeEnv")
        self.max_steps = positive_int("max_steps", max_steps, "MazeEnv", allow_none=True) \
            or 4 * self.desc.size
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise fail("render_mode", render_mode, "None, 'ansi' or 'rgb_array'", "MazeEnv")
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(self.desc.size)
        self.action_space = spaces.Discrete(len(MOVES))
        cells = self.desc.ravel()
        self.start = int(numpy.flatnonzero(cells == "S")[0])
        # A wall cell is never entered: it is an absorbing state of value 0, like the ends.
        self.terminal = numpy.isin(cells, ["E", "T", "#"])
        self.rewards = numpy.where(cells == "E", self.exit_reward,
                                   numpy.where(cells == "T", self.trap_reward, self.step_reward))
        self.moves = numpy.array([[self._move(s, a) for a in range(len(MOVES))]
                                  for s in range(self.desc.size)])
        self._model = None
        # the same tables as Python lists: reading them costs less in `step`
        self._lists = {"moves": self.moves.tolist(), "rewards": self.rewards.tolist(),
                       "terminal": self.terminal.tolist()}
        self.state = self.start
        self.steps = 0
        self.last_action = None

    def _move(self, state, action):
        """The cell reached from ``state`` by ``action`` without slipping (a wall or the edge of
        the grid keeps the robot in place)."""
        row, col = divmod(state, self.ncol)
        r, c = row + MOVES[action][0], col + MOVES[action][1]
        if 0 <= r < self.nrow and 0 <= c < self.ncol and self.desc[r, c] != "#":
            return r * self.ncol + c
        return state

    def _outcomes(self, action):
        """The directions the robot really moves in, with their probabilities."""
        if self.slippery == 0:
            return [(1.0, action)]
        side = self.slippery / 2
        return [(1 - self.slippery, action), (side, (action + 1) % 4), (side, (action - 1) % 4)]

    def transition_model(self):
        """The exact dynamics, as FrozenLake's ``P``: ``P[s][a]`` is a list of
        ``(probability, next_state, reward, terminated)``, outcomes that land on the same cell
        merged. An exit, a trap or a wall is absorbing: ``[(1.0, s, 0.0, True)]``."""
        if self._model is None:
            self._model = {}
            for s in range(self.desc.size):
                self._model[s] = {}
                for a in range(len(MOVES)):
                    if self.terminal[s]:
                        self._model[s][a] = [(1.0, s, 0.0, True)]
                        continue
                    merged = {}
                    for p, direction in self._outcomes(a):
                        nxt = int(self.moves[s, direction])
                        merged[nxt] = merged.get(nxt, 0.0) + p
                    self._model[s][a] = [(p, nxt, float(self.rewards[nxt]),
                                          bool(self.terminal[nxt])) for nxt, p in merged.items()]
        return self._model

    @property
    def P(self):
        """``transition_model()`` under FrozenLake's name (``env.unwrapped.P``), so code
        written for FrozenLake runs on the maze."""
        return self.transition_model()

    def reachable(self):
        """Per state, True when the robot can get there from the start (walls are never
        entered; an exit or a trap ends the walk). Slipping only moves it in the four
        directions too, so this holds whatever ``slippery`` is."""
        seen = numpy.zeros(self.desc.size, dtype=bool)
        todo = [self.start]
        while todo:
            s = todo.pop()
            if not seen[s]:
                seen[s] = True
                if not self.terminal[s]:
                    todo.extend(self.moves[s].tolist())
        return seen

    def cell(self, state):
        """The ``(row, col)`` of a state index."""
        return divmod(int(state), self.ncol)

    def draw_policy(self, policy):
        """The maze as text with an arrow for each free cell's action (``policy`` one action
        per state, e.g. from ``value_iteration``); walls, traps and exits stay as they are.

        >>> MazeEnv("S.\\n#E").draw_policy([1, 2, 0, 0])
        '→↓\\n#E'
        """
        policy = numpy.asarray(policy)
        if policy.shape != (self.desc.size,) or not numpy.issubdtype(policy.dtype, numpy.integer) \
                or not ((policy >= 0) & (policy < len(MOVES))).all():
            raise fail("policy", policy, f"one action in 0..3 per state ({self.desc.size})",
                       "MazeEnv.draw_policy")
        grid = numpy.where(self.terminal.reshape(self.desc.shape), self.desc,
                           numpy.array(list(ARROWS))[policy.reshape(self.desc.shape)])
        return "\n".join("".join(row) for row in grid)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state, self.steps, self.last_action = self.start, 0, None
        return self.state, {}

    def step(self, action):
        # NOTE: a plain int is checked by hand; `Discrete.contains` costs more than the step.
        if not (type(action) is int and 0 <= action < 4 or self.action_space.contains(action)):
            raise ValueError(f"`MazeEnv`: Expected an action in 0..3 (up, right, down, left). "
                             f"Received: action={action!r}")
        action = int(action)
        moved = action
        if self.slippery > 0:
            u = self.np_random.random()
            if u < self.slippery:
                moved = (action + (1 if u < self.slippery / 2 else -1)) % 4
        fast = self._lists
        if fast["terminal"][self.state]:  # stepping on after the end: nothing happens
            reward, terminated = 0.0, True
        else:
            self.state = fast["moves"][self.state][moved]
            reward, terminated = fast["rewards"][self.state], fast["terminal"][self.state]
        self.steps += 1
        self.last_action = action
        truncated = not terminated and self.steps >= self.max_steps
        return self.state, reward, terminated, truncated, {"slipped": moved != action}

    def render(self):
        if self.render_mode == "ansi":
            return self._text()
        if self.render_mode == "rgb_array":
            return self._image()
        return None

    def _text(self):
        grid = self.desc.copy()
        grid[self.cell(self.state)] = "A"
        header = "" if self.last_action is None else f"  ({ACTION_NAMES[self.last_action]})\n"
        return header + "\n".join("".join(row) for row in grid) + "\n"

    def _image(self):
        colours = numpy.array([[COLOURS[c] for c in row] for row in self.desc], numpy.uint8)
        robot_row, robot_col = self.cell(self.state)
        k = CELL_PIXELS
        image = numpy.repeat(numpy.repeat(colours, k, axis=0), k, axis=1)
        image[robot_row * k + 3:(robot_row + 1) * k - 3,
              robot_col * k + 3:(robot_col + 1) * k - 3] = ROBOT
        image[::k, :] = image[:, ::k] = (206, 212, 218)  # grid lines
        return image
