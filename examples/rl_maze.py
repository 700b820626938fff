"""The courses' robot in a maze: it learns from rewards (the exit) and punishments (the traps).

1. Value iteration computes the optimal values V*(s) and policy π*(s) from the maze's model.
2. Q-learning learns without the model, by trial and error, on 3 seeds; its greedy policy is
   compared with π* on every reachable cell that has a single best action, for every built-in
   maze.
3. The learned robot is evaluated (evaluate_policy) and its path is drawn; SARSA and Q-learning
   take different paths along the cliff.

Run: python examples/rl_maze.py
"""

import time

import gymnasium
import numpy as np

import profond.rl as rl


def reachable_decisions(env, values, gamma):
    """Cells reachable from the start, not an end, whose best action is unique."""
    q = np.sort(rl.action_values(env, values, gamma), axis=1)
    cells = np.flatnonzero(env.reachable())
    return cells[(q[cells, -1] - q[cells, -2] > 1e-6) & ~env.terminal[cells]]


def path_of(agent, env):
    """The robot's greedy walk from the start, drawn on the maze."""
    grid = env.desc.copy()
    state, _ = env.reset(seed=0)
    for _ in range(env.max_steps):
        state, reward, terminated, truncated, _ = env.step(
            int(agent.predict(state, deterministic=True)[0]))
        if terminated or truncated:
            break
        grid[env.cell(state)] = "*"
    return "\n".join("".join(row) for row in grid), reward


def main():
    gamma = 0.99
    env = gymnasium.make("profond/Maze-v0", maze="robot").unwrapped
    print("The robot's maze (S start, E exit, T trap, # wall):")
    print(rl.MAZES["robot"], end="\n\n")

    values, policy = rl.value_iteration(env, gamma=gamma)
    print("Value iteration: V*(s) (0 on walls, traps and the exit)")
    for row in values.reshape(env.desc.shape):
        print("  " + " ".join(f"{v:6.3f}" for v in row))
    print("and the optimal policy π*:")
    print(env.draw_policy(policy), end="\n\n")

    print("Q-learning (α = 1, ε from 1 to 0.1 over half of 50,000 steps) against π*:")
    print(f"  {'maze':<10} {'seed':>4} {'CPU s':>6} {'cells checked':>13} {'differ':>6}")
    for name in rl.MAZES:
        maze = gymnasium.make("profond/Maze-v0", maze=name)
        v, pi = rl.value_iteration(maze, gamma=gamma)
        checked = reachable_decisions(maze.unwrapped, v, gamma)
        for seed in range(3):
            start = time.process_time()
            agent = rl.QLearning(maze, learning_rate=1.0, gamma=gamma, exploration_fraction=0.5,
                                 exploration_final_eps=0.1, seed=seed).learn(50_000)
            seconds = time.process_time() - start
            differ = int((agent.q_table[checked].argmax(axis=1) != pi[checked]).sum())
            print(f"  {name:<10} {seed:>4} {seconds:>6.2f} {len(checked):>13} {differ:>6}")

    best = rl.evaluate_policy(policy, env, n_eval_episodes=1)[0]  # deterministic: one episode
    print(f"\nThe robot after 20,000 steps of Q-learning (100 evaluation episodes; π* gets "
          f"{best:.3f}):")
    for seed in range(3):
        agent = rl.QLearning(env, learning_rate=0.5, gamma=gamma, exploration_fraction=0.5,
                             exploration_final_eps=0.05, seed=seed).learn(20_000)
        mean, std = rl.evaluate_policy(agent, env, n_eval_episodes=100, seed=seed)
        print(f"  seed {seed}: mean return {mean:.3f} ± {std:.3f}")
    drawing, reward = path_of(agent, env)
    print(f"its path (*), last reward {reward:+.2f}:")
    print(drawing)

    print("\nSARSA against Q-learning on the cliff, exploring with ε = 0.1 throughout: "
          "SARSA pays for its own random steps, so it learns to keep away from the edge.")
    cliff = rl.MazeEnv("cliff")
    for cls in (rl.QLearning, rl.SARSA):
        agent = cls(cliff, learning_rate=0.5, gamma=gamma, exploration_fraction=0.0,
                    exploration_final_eps=0.1, seed=0).learn(20_000)
        drawing, reward = path_of(agent, cliff)
        print(f"{cls.__name__} (last reward {reward:+.2f}):")
        print(drawing)

    slippery = rl.MazeEnv("robot", slippery=0.2)
    _, slippery_policy = rl.value_iteration(slippery, gamma=gamma)
    mean, _ = rl.evaluate_policy(slippery_policy, slippery, n_eval_episodes=1000, seed=0)
    print("\nOn a slippery floor (20 % of moves slide sideways) the optimal policy keeps away "
          f"from the traps (mean return {mean:.3f} over 1,000 episodes):")
    print(slippery.draw_policy(slippery_policy))


if __name__ == "__main__":
    main()
