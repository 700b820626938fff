"""The playground's maze page: draw a maze, then watch profond's Q-learning learn it, live.

The page (``static/maze.*``, served at ``/maze``) draws a grid of cells; the user paints walls
``#``, traps ``T``, exits ``E`` and the start ``S``, or loads one of the built-in maps
(:data:`profond.rl.envs.MAZES`). A :class:`MazeSession` turns the drawn map into a
:class:`~profond.rl.envs.MazeEnv` and trains a :class:`~profond.rl.QLearning` agent on it in
small chunks, so that the page can show every step:

* the agent's path in the current episode (and the whole previous one);
* each cell's value V(s) = max_a Q(s, a) as a heat map, and an arrow for the greedy action
  argmax_a Q(s, a);
* the return of each episode, G = Σ_t r_t (a chart), and how many episodes have run;
* on how many of the cells the robot can reach its greedy action is optimal, against value
  iteration's exact Q*.

Q-learning's update, after each step s → s' with reward r (α the learning rate, γ the
discount, ε the probability of a random action while learning):

    Q(s, a) ← Q(s, a) + α [r + γ max_a' Q(s', a') − Q(s, a)]

The page can switch to SARSA (:class:`~profond.rl.tabular.SARSA`), whose target r + γ Q(s', a')
uses the action a' it really takes next, exploration included: on the ``cliff`` map (with a
small α such as 0.1) it learns the safe way along the far edge, where Q-learning learns the
shortest one, along the traps.

:class:`MazeConnection` carries the page's messages (the WebSocket ``/ws/maze``) with the
server's protection: the same guard, message size limit, pacing, session quotas and the shared
fair worker thread (:mod:`~profond.playground.server`).

Protocol — the page sends

    {"type": "maze", "maze": "S..#\\n.#T.\\n...E"}        the drawn map, after each stroke
    {"type": "settings", "settings": {"learning_rate": 0.5, "gamma": 0.95, "epsilon": 0.2,
                                      "slippery": 0.0, "speed": "fast", "agent": "sarsa"}}
    {"type": "play"} {"type": "pause"} {"type": "step"} {"type": "reset"}

and receives ``hello`` (presets, bounds, rewards), ``settings``, ``maze`` (the map, the
environment's error when it refuses it, a warning when no exit can be reached), ``update``
(values, greedy actions, paths, returns), ``state`` (playing or not) and ``error``.

>>> session = MazeSession(seed=0, maze="S.E")
>>> session.train(steps=20)
20
>>> session.snapshot()["episodes"] > 0
True
"""

import asyncio
import inspect
import time

import numpy

from profond.playground import server
from profond.playground.session import SettingsError, apply_settings
from profond.rl import action_values, value_iteration
from profond.rl.envs import MAZES, MazeEnv
from profond.rl.tabular import SARSA, QLearning

MIN_SIDE, MAX_SIDE = 1, 16  # a drawn maze has 1 to 16 rows and columns
CELLS = {".": "free", "#": "wall", "S": "start", "E": "exit", "T": "trap"}
ACTIONS = ("up", "right", "down", "left")  # MazeEnv's actions 0…3
SPEEDS = {  # speed → (environment steps between two updates of the page, pause after it, s)
    "slow": (1, 0.25),
    "medium": (5, 0.06),
    "fast": (None, server.PAUSE_SECONDS),  # as many as a tick of training allows
}
SCHEMA = {  # setting → (kind, bounds or choices)
    "learning_rate": ("float", (0.01, 1.0)),
    "gamma": ("float", (0.0, 0.999)),
    "epsilon": ("float", (0.0, 1.0)),
    "slippery": ("float", (0.0, 0.6)),
    "speed": ("choice", tuple(SPEEDS)),
    "agent": ("choice", ("qlearning", "sarsa")),
}
AGENTS = {"qlearning": QLearning, "sarsa": SARSA}
DEFAULTS = {"learning_rate": 0.5, "gamma": 0.95, "epsilon": 0.2, "slippery": 0.0,
            "speed": "medium", "agent": "qlearning"}
ENV_KEYS = {"slippery"}  # a change of these builds a new environment, and a new agent
RESTART_KEYS = ENV_KEYS | {"agent"}  # a change of these starts learning again
MAX_CHART_POINTS = 200  # the returns chart: one point per episode, or the mean of a few
STEP_CHUNK = 256  # environment steps asked of one ``learn`` call while playing fast
HISTORY_KEPT = 1000  # episodes the agent's ``history`` keeps (the chart has its own account)


def presets():
    """The built-in maps that fit the page: name → text."""
    return {name: text for name, text in MAZES.items()
            if MIN_SIDE <= len(text.split("\n")) <= MAX_SIDE
            and all(MIN_SIDE <= len(row) <= MAX_SIDE for row in text.split("\n"))}


def validate_settings(changes, current=None):
    """The settings after applying ``changes`` (a dict from the page) to ``current``;
    ``SettingsError`` for an unknown key, a value of the wrong type or out of range."""
    return apply_settings(changes, current or DEFAULTS, SCHEMA)


def parse_grid(text):
    """The rows of a drawn map, checked for what the page can draw: a rectangle of 1 to 16
    rows and columns of ``. # S E T``. Whether it is a maze one can solve (one start, an exit)
    is the environment's question, asked by :meth:`MazeSession.set_maze`."""
    if not isinstance(text, str):
        raise SettingsError(f"Expected the maze as text. Received: {type(text).__name__}")
    rows = text.split("\n")
    if not MIN_SIDE <= len(rows) <= MAX_SIDE:
        raise SettingsError(f"Expected a maze of {MIN_SIDE} to {MAX_SIDE} rows. "
                            f"Received: {len(rows)} rows")
    if not MIN_SIDE <= len(rows[0]) <= MAX_SIDE:
        raise SettingsError(f"Expected a maze of {MIN_SIDE} to {MAX_SIDE} columns. "
                            f"Received: {len(rows[0])} columns")
    for i, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise SettingsError(f"Expected rows of {len(rows[0])} cells. Received: row {i} "
                                f"has {len(row)}")
        unknown = set(row) - set(CELLS)
        if unknown:
            raise SettingsError(f"Expected cells among {' '.join(CELLS)}. Received: "
                                f"{sorted(unknown)[0]!r} in row {i}")
    return rows


class MazeSession:
    """A drawn maze, its environment and a Q-learning agent learning it, for one browser tab.

    The session keeps its own account of the episodes (return, path) from the agent's callback,
    so the page sees exactly the steps that ran. Not thread-safe: the server calls every
    method from one worker thread.
    """

    def __init__(self, seed=None, maze=None, settings=None):
        self.rng = numpy.random.default_rng(seed)
        self.settings = validate_settings(settings or {})
        self.playing = False
        self.generation = 0  # bumped when the maze or the agent change
        self.set_maze(maze if maze is not None else presets().get("robot") or
                      next(iter(presets().values())))

    # --- the maze -------------------------------------------------------------------------------
    def set_maze(self, text):
        """Take a drawn map. A map the page cannot draw raises ``SettingsError`` (the old map
        stays); a map the environment refuses (no start, no exit, …) is kept, with the
        environment's message in ``self.error``, and nothing can train until it is fixed."""
        self.rows = parse_grid(text)
        self.build()

    @property
    def text(self):
        return "\n".join(self.rows)

    @property
    def shape(self):
        return len(self.rows), len(self.rows[0])

    def cell(self, index):
        """The character of cell ``index`` (row-major: index = row · columns + column)."""
        return self.rows[index // self.shape[1]][index % self.shape[1]]

    def build(self):
        """A new environment for the map and the settings, and a new agent (Q = 0)."""
        self.env = self.agent = None
        self.error = self.warning = None
        self.optimal = None
        try:
            self.env = MazeEnv(maze=self.text, slippery=self.settings["slippery"])
        except ValueError as error:
            self.error = str(error)
        else:
            self.reachable, exit_reached = self._reachable()
            if not exit_reached:
                self.warning = ("No exit can be reached from the start: the robot will never "
                                "find a reward worth having. Open a way (erase a wall).")
        self.new_agent()

    def new_agent(self):
        """A fresh agent (Q-learning or SARSA, Q = 0) and fresh counters."""
        self.generation += 1
        self.steps = self.episodes = 0
        self.last_return = None
        self.chart, self.bucket, self.every = [], [], 1  # the returns chart, see _add_return
        self.path, self.last_path = [], []
        self.episode_return = 0.0
        self.visited = numpy.zeros(len(self.text.replace("\n", "")), dtype=bool)  # acted from
        if self.env is None:
            self.agent = None
            return
        agent_class = AGENTS[self.settings["agent"]]
        self.agent = agent_class(self.env, seed=int(self.rng.integers(2**31 - 1)))
        self._tune(self.agent)
        self.path = [self.start]

    @property
    def start(self):
        """The start's cell index."""
        return self.text.replace("\n", "").index("S")

    # --- settings -------------------------------------------------------------------------------
    def apply(self, changes):
        """Change some settings; returns the names of those that changed. Slipperiness makes a
        new environment (and agent), the algorithm a new agent; α, γ and ε change while the
        agent learns (its Q table, and the episode in progress, go on)."""
        old = self.settings
        self.settings = validate_settings(changes, old)
        changed = {k for k in self.settings if self.settings[k] != old[k]}
        if changed & ENV_KEYS:
            self.build()
        elif "agent" in changed:
            self.new_agent()
        elif self.agent is not None:
            self._tune(self.agent)
            if "gamma" in changed:
                self.optimal = None  # γ changes the optimal values
        return changed

    def _tune(self, agent):
        """Give ``agent`` the settings' α, γ and a constant ε (no decay: the user sets it)."""
        s = self.settings
        agent.learning_rate, agent.gamma = s["learning_rate"], s["gamma"]
        agent.exploration_initial_eps = agent.exploration_final_eps = s["epsilon"]
        agent.exploration_rate = s["epsilon"]

    # --- training -------------------------------------------------------------------------------
    def train(self, steps=None, seconds=None, should_stop=None):
        """Run Q-learning for ``steps`` environment steps, or until ``seconds`` have passed or
        ``should_stop()`` (asked after each step: the server wants the thread back) is true;
        return how many steps ran."""
        if self.agent is None:
            raise SettingsError(f"This maze cannot be played: {self.error}")
        deadline = None if seconds is None else time.perf_counter() + seconds
        done, stop = 0, False

        def on_step(local_vars, global_vars):  # after each step; False stops ``learn``
            nonlocal done, stop
            done += 1
            self._record(local_vars)
            stop = ((steps is not None and done >= steps)
                    or (deadline is not None and time.perf_counter() >= deadline)
                    or (should_stop is not None and should_stop()))
            return not stop

        while not stop and (deadline is None or time.perf_counter() < deadline):
            chunk = STEP_CHUNK if steps is None else steps - done
            self.agent.learn(total_timesteps=chunk, callback=on_step, reset_num_timesteps=False)
        for values in self.agent.history.values():  # NOTE: bounded memory, however long it
            del values[:-HISTORY_KEPT]  # plays (~1000 episodes a second when fast)
        return done

    def _record(self, local_vars):
        """Account for one step the agent took (the callback's ``locals``): the cell it acted
        from, its path, the episode's return G = Σ r."""
        self.steps += 1
        self.visited[int(local_vars["obs"])] = True
        self.episode_return += float(local_vars["reward"])
        self.path.append(int(local_vars["new_obs"]))
        if local_vars["terminated"] or local_vars["truncated"]:
            self.episodes += 1
            self.last_return = self.episode_return
            self._add_return(self.episode_return)
            self.last_path, self.path = self.path, [self.start]
            self.episode_return = 0.0

    def _add_return(self, value):
        """Add an episode's return to the chart, which holds at most ``MAX_CHART_POINTS``
        points whatever the number of episodes: each point is the mean of ``every`` episodes,
        and when the chart is full, neighbouring points merge and ``every`` doubles."""
        self.bucket.append(value)
        if len(self.bucket) == self.every:
            self.chart.append(sum(self.bucket) / self.every)
            self.bucket = []
            if len(self.chart) == MAX_CHART_POINTS:
                self.chart = [(a + b) / 2 for a, b in zip(self.chart[::2], self.chart[1::2])]
                self.every *= 2

    # --- what the page draws --------------------------------------------------------------------
    def maze_message(self):
        """The map; the environment's message when it refused it; a warning when no exit can
        be reached."""
        rows, columns = self.shape
        return {"generation": self.generation, "maze": self.text, "rows": rows,
                "columns": columns, "error": self.error, "warning": self.warning}

    def snapshot(self):
        """What the page redraws: V(s) = max_a Q(s, a) per cell the robot has acted from (None
        elsewhere: walls, traps, exits, cells not yet visited), the greedy action (−1 where Q
        has no preference), the paths, the returns chart and on how many reachable cells the
        greedy action is optimal."""
        out = {"generation": self.generation, "steps": self.steps, "episodes": self.episodes,
               "path": list(self.path), "last_path": list(self.last_path),
               "last_return": None if self.last_return is None else round(self.last_return, 4),
               "returns": self._chart_points(), "returns_every": self.every,
               "values": None, "policy": None, "optimal": None}
        if self.agent is None:
            return out
        q = numpy.asarray(self.agent.q_table, dtype="float64")
        values = numpy.round(q.max(axis=1), 4)
        out["values"] = [float(v) if seen else None for v, seen in zip(values, self.visited)]
        preference = self.visited & (numpy.ptp(q, axis=1) > 0)
        out["policy"] = numpy.where(preference, q.argmax(axis=1), -1).tolist()
        out["optimal"] = self._optimal_agreement(q)
        return out

    def _chart_points(self):
        """The chart's points, the last one the mean of the episodes of a bucket not full yet."""
        partial = [sum(self.bucket) / len(self.bucket)] if self.bucket else []
        return [round(v, 4) for v in self.chart + partial]

    def _optimal_agreement(self, q):
        """``{"agree": k, "cells": n, "off": [...]}``: of the n cells the robot can reach and
        act from, on how many its greedy action is optimal, by value iteration: Q*(s, a) =
        Σ_s' P(s'|s, a) [r + γ V*(s')], an action optimal when within 1e-6 of max_a Q*(s, a);
        ``off``: the visited cells where it is not. None when no exit can be reached (every
        action is then as good, or as bad, as another)."""
        if self.warning is not None:
            return None
        if self.optimal is None:
            # NOTE: cells out of the robot's reach are made absorbing. A walled-off region
            # never ends, and value iteration would need ~log(θ)/log(γ) sweeps (seconds at
            # γ = 0.999) to converge there; nothing reachable leads into it, so Q* on the
            # reachable cells is the same.
            model = self.env.unwrapped.transition_model()
            reduced = {s: (actions if self.reachable[s] else
                           {a: [(1.0, s, 0.0, True)] for a in actions})
                       for s, actions in model.items()}
            gamma = self.settings["gamma"]
            values, _ = value_iteration(reduced, gamma=gamma)
            q_star = action_values(reduced, values, gamma=gamma)
            self.optimal = q_star >= q_star.max(axis=1, keepdims=True) - 1e-6
        greedy_is_optimal = self.optimal[numpy.arange(len(q)), q.argmax(axis=1)]
        agree = greedy_is_optimal & self.reachable & self.visited
        off = ~greedy_is_optimal & self.reachable & self.visited
        return {"agree": int(agree.sum()), "cells": int(self.reachable.sum()),
                "off": numpy.flatnonzero(off).tolist()}

    def _reachable(self):
        """``(cells, exit)``: which non-terminal cells the robot can reach from the start
        (True/False per cell), and whether it can reach an exit."""
        env = self.env.unwrapped
        seen = env.reachable()
        return seen & ~env.terminal, bool((seen & (env.desc.ravel() == "E")).any())


# --------------------------------------------------------------------------------------------
# The connection: the server's Connection, with the maze's messages
# --------------------------------------------------------------------------------------------
MESSAGES = {  # type → {field: (kind, bounds)}, checked by server.parse_message
    "maze": {"maze": ("text", MAX_SIDE * (MAX_SIDE + 1))},
    "settings": {"settings": ("object", None)},
    "play": {}, "pause": {}, "step": {}, "reset": {},
}


def options():
    """What the page may choose, sent in ``hello``, and the rewards of the maze."""
    defaults = inspect.signature(MazeEnv).parameters
    rewards = {name: defaults[f"{name}_reward"].default for name in ("exit", "trap", "step")}
    return {"presets": presets(), "actions": list(ACTIONS), "rewards": rewards,
            "min_side": MIN_SIDE, "max_side": MAX_SIDE,
            "schema": {key: list(spec) for key, (kind, spec) in SCHEMA.items()
                       if kind == "float"}}


class MazeConnection(server.Connection):
    """One maze tab: the server's paced message loop, the maze's messages and training loop."""

    messages = MESSAGES

    async def greet(self):
        await self.send({"type": "hello", "options": options(),
                         "settings": self.session.settings})
        await self.send_all()
        await self.send_state()

    async def send_all(self):
        await self.send({"type": "settings", "settings": self.session.settings})
        await self.send({"type": "maze", **(await self.work(self.session.maze_message))})
        await self.send({"type": "update", **(await self.work(self.session.snapshot))})

    async def handle(self, kind, fields):
        session = self.session
        if kind == "settings":
            changed = await self.work(session.apply, fields["settings"])
            if changed & RESTART_KEYS:
                await self.stop()
                await self.send_all()
                await self.send_state()
            else:
                await self.send({"type": "settings", "settings": session.settings})
        elif kind == "maze":
            await self.stop()
            await self.work(session.set_maze, fields["maze"])
            await self.send_all()
            await self.send_state()
        elif kind == "play":
            if session.agent is None:
                raise SettingsError(f"This maze cannot be played: {session.error}")
            if self.trainer is None or self.trainer.done():
                session.playing = True
                self.trainer = asyncio.create_task(self.train_loop())
            await self.send_state()
        elif kind == "pause":
            await self.stop()  # the steps taken since the last update are shown too
            await self.send({"type": "update", **(await self.work(session.snapshot))})
            await self.send_state()
        elif kind == "step":
            await self.stop()
            await self.work(session.train, 1)
            await self.send({"type": "update", **(await self.work(session.snapshot))})
            await self.send_state()
        elif kind == "reset":
            await self.stop()
            await self.work(session.new_agent)
            await self.send_all()
            await self.send_state()

    async def train_loop(self):
        """While playing: a few steps (slow, medium) or a tick of training (fast, yielding to
        others), a snapshot sent, a pause; again."""
        session, scheduler = self.session, self.scheduler

        def train_part(budget):  # on the worker: train for ``budget`` seconds at most
            start = time.perf_counter()
            session.train(None, budget, should_stop=scheduler.should_yield)
            return time.perf_counter() - start

        try:
            while session.playing:
                steps, pause = SPEEDS[session.settings["speed"]]
                if steps is None:
                    trained = 0.0
                    while session.playing and trained < server.TICK_SECONDS:
                        trained += await self.work(train_part, server.TICK_SECONDS - trained,
                                                   background=True)
                else:
                    await self.work(session.train, steps, None, scheduler.should_yield,
                                    background=True)
                if not session.playing:
                    break
                await self.send({"type": "update",
                                 **(await self.work(session.snapshot, background=True))})
                await asyncio.sleep(pause)
        except server.WebSocketDisconnect:
            session.playing = False
        except Exception:  # a bug: stop, tell the page, keep the tab
            session.playing = False
            server.log.exception("playground: error while training a maze")
            try:
                await self.send({"type": "error", "message": "Training stopped on an internal "
                                 "error (see the server's log)."})
                await self.send_state()
            except server.WebSocketDisconnect:
                pass


async def maze_websocket(websocket):
    """The ``/ws/maze`` endpoint: a :class:`MazeSession` for the tab, served by a
    :class:`MazeConnection`."""
    await server.serve_tab(websocket, MazeSession, MazeConnection)


__all__ = ["MazeConnection", "MazeSession", "maze_websocket", "parse_grid", "presets",
           "validate_settings"]
