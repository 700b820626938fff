"""CartPole balanced by PPO (or A2C, or REINFORCE with a baseline), evaluated over 100 episodes.

The pole starts upright on a cart; each step the agent pushes the cart left or right and earns
+1 while the pole stays up, for at most 500 steps. A random policy lasts about 22 steps; the task
counts as solved at a mean return ≥ 475.

PPO's settings are RL Zoo's tuned CartPole ones (8 environments × 32 steps there; here one
environment × 256 steps, the same batch): γ = 0.98, λ = 0.8, 20 epochs of one minibatch of 256
per rollout, learning rate and clip range decreasing linearly from 1e-3 and 0.2 to 0.

    python examples/rl_cartpole_ppo.py                  # PPO, seeds 0 1 2, 100,000 steps each
    python examples/rl_cartpole_ppo.py --quick          # one seed, 4,096 steps (~1 min)
    python examples/rl_cartpole_ppo.py --algo a2c       # for comparison, lightly tuned: A2C
    python examples/rl_cartpole_ppo.py --algo reinforce # rollouts of 32 steps, η from 1e-3 to 0

Each seed prints the mean ± std of the return over 100 evaluation episodes (deterministic
policy, fresh environment) and the wall time; the last line counts the seeds that reached 475.
"""

import argparse
import time

import gymnasium

import profond.rl as rl

SOLVED = 475.0


def make_agent(algo, seed, quick):
    if algo == "ppo":
        if quick:  # smaller minibatches: more updates from the few steps
            return rl.PPO("MlpPolicy", "CartPole-v1", n_steps=256, batch_size=64, n_epochs=10,
                          gamma=0.98, gae_lambda=0.8, learning_rate=rl.linear_schedule(1e-3),
                          seed=seed)
        return rl.PPO("MlpPolicy", "CartPole-v1", n_steps=256, batch_size=256, n_epochs=20,
                      gamma=0.98, gae_lambda=0.8, learning_rate=rl.linear_schedule(1e-3),
                      clip_range=rl.linear_schedule(0.2), seed=seed)
    if algo == "a2c":
        return rl.A2C("MlpPolicy", "CartPole-v1", n_steps=32, gae_lambda=0.95,
                      learning_rate=rl.linear_schedule(1e-3), seed=seed)
    return rl.REINFORCE("MlpPolicy", "CartPole-v1", n_episodes=2, learning_rate=1e-3,
                        seed=seed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algo", choices=["ppo", "a2c", "reinforce"], default="ppo")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--episodes", type=int, default=100, help="evaluation episodes")
    parser.add_argument("--quick", action="store_true", help="one seed, 4,096 steps")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.timesteps, args.episodes = args.seeds[:1], 4096, 20

    solved = 0
    for seed in args.seeds:
        start = time.perf_counter()
        agent = make_agent(args.algo, seed, args.quick).learn(args.timesteps)
        elapsed = time.perf_counter() - start
        # fresh episodes (another seed than training's), the greedy action at each step
        mean, std = rl.evaluate_policy(agent, gymnasium.make("CartPole-v1"),
                                       n_eval_episodes=args.episodes, seed=10_000 + seed)
        solved += mean >= SOLVED
        print(f"{args.algo.upper()} seed {seed}: mean return {mean:.1f} ± {std:.1f} over "
              f"{args.episodes} episodes after {agent.num_timesteps:,} steps "
              f"({len(agent.history['episode_return'])} training episodes, {elapsed:.0f} s)",
              flush=True)
    print(f"{args.algo.upper()}: mean return >= {SOLVED:g} on {solved} of {len(args.seeds)} "
          f"seeds within {args.timesteps:,} steps")


if __name__ == "__main__":
    main()
