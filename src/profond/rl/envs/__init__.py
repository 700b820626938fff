"""Gymnasium environments of profond: the courses' maze, registered as ``profond/Maze-v0``.

>>> import gymnasium
>>> env = gymnasium.make("profond/Maze-v0", maze="robot")
>>> env.observation_space, env.action_space
(Discrete(36), Discrete(4))
"""

import gymnasium

from profond.rl.envs.maps import MAZES
from profond.rl.envs.maze import ACTION_NAMES, MazeEnv, parse_maze

__all__ = ["ACTION_NAMES", "MAZES", "MazeEnv", "parse_maze"]

if "profond/Maze-v0" not in gymnasium.registry:
    gymnasium.register(id="profond/Maze-v0", entry_point="profond.rl.envs.maze:MazeEnv")
