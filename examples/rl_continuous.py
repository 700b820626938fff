"""A pendulum swung up and held by PPO with a Gaussian policy (continuous actions).

Pendulum-v1: a pendulum hangs from a motor; the action is the torque, a real number in [−2, 2];
each step costs θ² + 0.1·θ̇² + 0.001·torque² (θ = 0 upright), for 200 steps. A random policy
scores about −1,200 per episode; a good one about −150 to −200 (it swings up, then balances).

The policy is a Gaussian 𝒩(μ_θ(s), σ²): the actor MLP outputs μ, log σ is one learned number
(state-independent); actions are sampled while learning, clipped to [−2, 2] when sent to the
environment, and the mean μ is used at evaluation. Settings adapted from RL Zoo's Pendulum PPO
(which adds state-dependent exploration; this example does not): γ = 0.9, λ = 0.95, rollouts of
1,024 steps, 10 epochs of minibatches of 64, learning rate 1e-3.

    python examples/rl_continuous.py                  # seed 0, 100,000 steps
    python examples/rl_continuous.py --seeds 0 1 2 --timesteps 200000
    python examples/rl_continuous.py --quick          # 10,240 steps (~1-2 min): learns a bit

Each seed prints the mean ± std of the return over 20 evaluation episodes and the wall time.
"""

import argparse
import time

import gymnasium

import profond.rl as rl


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--episodes", type=int, default=20, help="evaluation episodes")
    parser.add_argument("--quick", action="store_true", help="10,240 steps")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.timesteps = args.seeds[:1], 10_240

    for seed in args.seeds:
        start = time.perf_counter()
        agent = rl.PPO("MlpPolicy", "Pendulum-v1", n_steps=1024, batch_size=64, n_epochs=10,
                       gamma=0.9, gae_lambda=0.95, learning_rate=1e-3, seed=seed)
        untrained, _ = rl.evaluate_policy(agent, gymnasium.make("Pendulum-v1"),
                                          n_eval_episodes=args.episodes, seed=10_000 + seed)
        agent.learn(args.timesteps)
        elapsed = time.perf_counter() - start
        mean, std = rl.evaluate_policy(agent, gymnasium.make("Pendulum-v1"),
                                       n_eval_episodes=args.episodes, seed=10_000 + seed)
        sigma = float(agent.policy.log_std.numpy()[0])
        print(f"PPO Pendulum seed {seed}: mean return {mean:.0f} ± {std:.0f} over "
              f"{args.episodes} episodes after {agent.num_timesteps:,} steps (untrained "
              f"{untrained:.0f}; log σ = {sigma:.2f}; {elapsed:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
