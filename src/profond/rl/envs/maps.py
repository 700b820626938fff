"""Built-in maze maps, as text: ``#`` wall, ``S`` start, ``E`` exit, ``T`` trap, ``.`` free.

``robot`` is the courses' example: a robot that learns from rewards and punishments to reach the
exit of a labyrinth while avoiding its traps. The others grow in difficulty: ``tiny`` is the
three-row example of the API, ``cliff`` a short cliff walk (the safe path is longer than the
path along the traps), ``labyrinth`` a winding 8 × 8 corridor with traps at its turns.
"""

__all__ = ["MAZES"]

MAZES = {
    "tiny": (
        "S..#\n"
        ".#T.\n"
        "...E"
    ),
    "robot": (
        "S..#..\n"
        ".#...T\n"
        ".T.#..\n"
        "...#.#\n"
        ".#...T\n"
        "...T.E"
    ),
    "cliff": (
        "........\n"
        "........\n"
        "STTTTTTE"
    ),
    "labyrinth": (
        "S.....#.\n"
        "####.T#.\n"
        ".......T\n"
        ".#.####.\n"
        ".#T.....\n"
        ".####.#.\n"
        ".....T#.\n"
        ".#.....E"
    ),
}
