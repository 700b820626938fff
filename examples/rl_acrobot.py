"""Deep Q-learning on Acrobot-v1: swing a two-link pendulum until its tip rises above a line.

The agent sees 6 numbers (sines, cosines and speeds of the two joints) and chooses a torque of
−1, 0 or +1 on the middle joint; each step costs −1 until the tip is up (at most 500 steps, so a
random policy scores about −500). ``profond.rl.DQN`` with a 256-256 MLP, settings close to RL
Zoo's for Stable-Baselines3's DQN on Acrobot (fewer gradient steps, to run in minutes). The
problem counts as solved around −100.

    python examples/rl_acrobot.py            # 1 seed × 40,000 steps, 20 evaluation episodes
                                             # (here: −87.4 ± 15.2, in 2 min, and −78.8 ± 9.9
                                             # on an AVX-512 CPU; untrained −500); the test's run
    python examples/rl_acrobot.py --quick    # 8,000 steps: a smoke run, which may not have
                                             # learnt yet (−500 on the AVX-512 CPU, seed 0)
"""

import argparse
import time

import gymnasium

from profond.rl import DQN, evaluate_policy

SETTINGS = dict(learning_rate=6.3e-4, batch_size=128, buffer_size=50_000, learning_starts=0,
                gamma=0.99, target_update_interval=250, train_freq=4, gradient_steps=1,
                exploration_fraction=0.12, exploration_final_eps=0.1,
                policy_kwargs=dict(net_arch=[256, 256]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--steps", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = 8_000 if args.quick else args.steps
    eval_env = gymnasium.make("Acrobot-v1")
    eval_env.reset(seed=1000)
    untrained = DQN("MlpPolicy", "Acrobot-v1", seed=args.seed, **SETTINGS)
    before, _ = evaluate_policy(untrained, eval_env, n_eval_episodes=5)
    agent = DQN("MlpPolicy", "Acrobot-v1", seed=args.seed, **SETTINGS)
    start = time.perf_counter()
    agent.learn(total_timesteps=steps)
    seconds = time.perf_counter() - start
    mean, std = evaluate_policy(agent, eval_env, n_eval_episodes=20)
    print(f"untrained: mean return {before:.1f} over 5 episodes")
    print(f"seed {args.seed}: mean return {mean:.1f} ± {std:.1f} over 20 episodes "
          f"({agent.num_timesteps:,} steps, {agent.n_updates:,} gradient steps, {seconds:.0f} s)")


if __name__ == "__main__":
    main()
