"""Peer baselines for crates/sim/benches/gaussian.rs: the same simulation (heavy ball, lr 0.05,
momentum 0.9, Gaussian regression with l_i = 1/i, d = 1000, explicit mini-batches of B = 32,
x ~ N(0, H)) in NumPy (vectorised over runs) and in JAX (jit, lax.scan over steps, vmap over
runs, float64). Prints steps per second (runs x steps / wall time) of each, as JSON.

    pip install numpy jax
    python3 benches/peers/gaussian_hb.py [--runs 16] [--steps 200] [--batch 32]
"""

import argparse
import json
import os
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np


def setup(d):
    sqrt_l = 1.0 / np.sqrt(np.arange(1, d + 1, dtype=np.float64))
    return sqrt_l


def numpy_run(runs, steps, batch, d, lr, mom, seed=0):
    rng = np.random.default_rng(seed)
    s = setup(d)
    x = rng.standard_normal((runs, d)) / np.sqrt(d)
    prev = x.copy()
    start = time.perf_counter()
    for _ in range(steps):
        xs = rng.standard_normal((runs, batch, d)) * s  # rows x_b = H^{1/2} z_b
        dots = np.einsum("rbd,rd->rb", xs, x)
        g = np.einsum("rbd,rb->rd", xs, dots) / batch
        x, prev = x - lr * g + mom * (x - prev), x
    elapsed = time.perf_counter() - start
    loss = 0.5 * np.mean(np.sum(s**2 * x**2, axis=1))
    return runs * steps / elapsed, loss


def jax_run(runs, steps, batch, d, lr, mom, seed=0):
    import jax
    import jax.numpy as jnp

    assert jax.config.jax_enable_x64
    s = jnp.asarray(setup(d))

    def one_run(key):
        key, k0 = jax.random.split(key)
        x = jax.random.normal(k0, (d,), dtype=jnp.float64) / jnp.sqrt(d)

        def step(carry, _):
            x, prev, key = carry
            key, k = jax.random.split(key)
            xs = jax.random.normal(k, (batch, d), dtype=jnp.float64) * s
            g = xs.T @ (xs @ x) / batch
            return (x - lr * g + mom * (x - prev), x, key), None

        (x, _, _), _ = jax.lax.scan(step, (x, x, key), None, length=steps)
        return 0.5 * jnp.sum(s**2 * x**2)

    simulate = jax.jit(jax.vmap(one_run))
    keys = jax.random.split(jax.random.PRNGKey(seed), runs)
    simulate(keys).block_until_ready()  # compile
    start = time.perf_counter()
    losses = simulate(keys).block_until_ready()
    elapsed = time.perf_counter() - start
    return runs * steps / elapsed, float(jnp.mean(losses))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=16)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--d", type=int, default=1000)
    a = p.parse_args()
    args = (a.runs, a.steps, a.batch, a.d, 0.05, 0.9)
    numpy_sps, numpy_loss = numpy_run(*args)
    jax_sps, jax_loss = jax_run(*args)
    print(json.dumps({
        "runs": a.runs, "steps": a.steps, "batch": a.batch, "d": a.d,
        "numpy_steps_per_s": numpy_sps, "jax_steps_per_s": jax_sps,
        "numpy_mean_final_loss": numpy_loss, "jax_mean_final_loss": jax_loss,
    }, indent=2))


if __name__ == "__main__":
    main()
