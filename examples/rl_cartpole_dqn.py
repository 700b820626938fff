"""Deep Q-learning on CartPole-v1: balance a pole on a cart by pushing it left or right.

The agent sees 4 numbers (cart position and speed, pole angle and angular speed) and gets +1 per
step the pole stays up, for at most 500 steps. A Q-network Q(s, ·; θ) (an MLP 256-256, profond
layers) learns from a replay buffer with a target network (``profond.rl.DQN``); the settings are
RL Zoo's tuned ones for Stable-Baselines3's DQN on CartPole.

Goal (issue 16): a mean return ≥ 475 over 100 evaluation episodes within 50,000 environment
steps, on at least 2 of 3 seeds. Then the agent of the first seed is saved, loaded back and
evaluated again; ``--plot curve.png`` draws its learning curve (matplotlib).

    python examples/rl_cartpole_dqn.py                 # 3 seeds × 50,000 steps
    python examples/rl_cartpole_dqn.py --quick         # 1 seed × 15,000 steps, 20 episodes
    python examples/rl_cartpole_dqn.py --plot dqn.png  # ... and the first seed's returns
"""

import argparse
import os
import sys
import tempfile
import time

import gymnasium

from profond.rl import DQN, evaluate_policy

SETTINGS = dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1000,
                gamma=0.99, target_update_interval=10, train_freq=256, gradient_steps=128,
                exploration_fraction=0.16, exploration_final_eps=0.04,
                policy_kwargs=dict(net_arch=[256, 256]))
GOAL = 475


def train(seed, steps):
    agent = DQN("MlpPolicy", "CartPole-v1", seed=seed, **SETTINGS)
    start = time.perf_counter()
    agent.learn(total_timesteps=steps, progress_bar=sys.stdout.isatty())
    return agent, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short run")
    parser.add_argument("--plot", metavar="PNG", help="draw the first seed's returns there")
    args = parser.parse_args(argv)
    seeds, steps, episodes = ((0,), 15_000, 20) if args.quick else ((0, 1, 2), 50_000, 100)

    agents, reached = [], 0
    for seed in seeds:
        agent, seconds = train(seed, steps)
        eval_env = gymnasium.make("CartPole-v1")
        eval_env.reset(seed=1000 + seed)
        mean, std = evaluate_policy(agent, eval_env, n_eval_episodes=episodes)
        reached += mean >= GOAL
        agents.append(agent)
        print(f"seed {seed}: mean return {mean:.1f} ± {std:.1f} over {episodes} episodes "
              f"({agent.num_timesteps:,} steps, {agent.n_updates:,} gradient steps, "
              f"{len(agent.history['episode_return'])} training episodes, {seconds:.0f} s)",
              flush=True)
    print(f"{reached}/{len(seeds)} seeds reach a mean return >= {GOAL}")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dqn_cartpole.zip")
        agents[0].save(path)
        loaded = DQN.load(path)
        eval_env = gymnasium.make("CartPole-v1")
        eval_env.reset(seed=1000)
        mean, std = evaluate_policy(loaded, eval_env, n_eval_episodes=episodes)
        print(f"saved and loaded ({os.path.getsize(path) / 1e3:.0f} kB): mean return "
              f"{mean:.1f} ± {std:.1f}")

    if args.plot:
        from profond.viz import plot_episode_returns

        fig = plot_episode_returns(agents[0], window=20, x="timesteps", threshold=GOAL)
        fig.savefig(args.plot, dpi=100)
        print(f"learning curve: {args.plot}")

if __name__ == "__main__":
    main()
