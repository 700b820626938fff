"""Chapter — learning by reinforcement: the courses' robot in a maze."""

import gymnasium
import numpy as np

import profond.rl as rl

# %% maze
env = gymnasium.make("profond/Maze-v0", maze="robot").unwrapped
print(rl.MAZES["robot"])  # S start, E exit (+1), T trap (−1), # wall; each step costs 0.01
print("cells:", env.observation_space.n, " actions:", env.action_space.n, "(up, right, down, left)")

# %% values
gamma = 0.99
values, policy = rl.value_iteration(env, gamma=gamma)  # V*(s) = max_a Σ p (r + γ V*(s'))
print("V*(start) =", round(float(values[env.start]), 3))
print(env.draw_policy(policy))

# %% qlearning
agent = rl.QLearning(env, learning_rate=1.0, gamma=gamma, exploration_fraction=0.5,
                     exploration_final_eps=0.1, seed=0)
agent.learn(total_timesteps=50_000)  # Q(s,a) ← Q(s,a) + α (r + γ max Q(s',·) − Q(s,a))
greedy = agent.q_table.argmax(axis=1)
print(env.draw_policy(greedy))
mean, std = rl.evaluate_policy(agent, env, n_eval_episodes=20)
print(f"return of the learned robot: {mean:.3f} ± {std:.3f}   (π*: "
      f"{rl.evaluate_policy(policy, env, n_eval_episodes=1)[0]:.3f})")
same = np.mean(greedy[~env.terminal] == policy[~env.terminal])
print(f"cells where the greedy action of Q equals π*: {same:.0%}")
