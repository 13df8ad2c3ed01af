"""Peer baseline for crates/theory/benches/dynamics.rs: the exact E[loss] recursion of
docs/theory.md §4 (O(d) per step: one 2x2 second-moment block per coordinate and the noise sum)
for heavy ball, lr 0.05, momentum 0.9, B = 32, on l_i = 1/i, d = 1000, from the isotropic start,
2000 steps, float64: NumPy vectorised over coordinates, and JAX (jit, lax.scan over steps).
Prints coordinate-steps per second (d x steps / wall time) of each and the last E[loss], as JSON.

    pip install numpy jax
    python3 benches/peers/exact_hb.py [--d 1000] [--steps 2000]
"""

import argparse
import json
import os
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np


def coefficients(d, lr, mom, batch):
    """A_i = M - l_i c a^T for heavy ball (M = [[1 + mom, -mom], [1, 0]], c = (lr, 0), a = (1, 0))."""
    l = 1.0 / np.arange(1, d + 1, dtype=np.float64)
    a00, a01, a10, a11 = 1.0 + mom - lr * l, -mom * np.ones(d), np.ones(d), np.zeros(d)
    return l, (a00, a01, a10, a11), lr, 1.0 / batch


def numpy_run(d, steps, lr, mom, batch):
    l, (a00, a01, a10, a11), c0, inv_b = coefficients(d, lr, mom, batch)
    x = np.full(d, 1.0 / d)
    y, w = x.copy(), x.copy()
    start = time.perf_counter()
    for _ in range(steps):
        # p_i = a^T s_i a = s00 for a = (1, 0); noise q_i = (l_i^2 p_i + l_i sum_j l_j p_j) / B.
        q = (l * l * x + l * np.dot(l, x)) * inv_b
        t00, t01 = a00 * x + a01 * y, a00 * y + a01 * w
        t10, t11 = a10 * x + a11 * y, a10 * y + a11 * w
        x, y, w = t00 * a00 + t01 * a01 + c0 * c0 * q, t00 * a10 + t01 * a11, t10 * a10 + t11 * a11
    elapsed = time.perf_counter() - start
    return d * steps / elapsed, 0.5 * float(np.dot(l, x))


def jax_run(d, steps, lr, mom, batch):
    import jax
    import jax.numpy as jnp

    l, (a00, a01, a10, a11), c0, inv_b = (
        jnp.asarray(v) if isinstance(v, np.ndarray) else v for v in coefficients(d, lr, mom, batch)
    )
    a00, a01, a10, a11 = (jnp.asarray(v) for v in (a00, a01, a10, a11))

    def step(s, _):
        x, y, w = s
        q = (l * l * x + l * jnp.dot(l, x)) * inv_b
        t00, t01 = a00 * x + a01 * y, a00 * y + a01 * w
        t10, t11 = a10 * x + a11 * y, a10 * y + a11 * w
        return (t00 * a00 + t01 * a01 + c0 * c0 * q, t00 * a10 + t01 * a11, t10 * a10 + t11 * a11), None

    run = jax.jit(lambda s: jax.lax.scan(step, s, None, length=steps)[0])
    s0 = tuple(jnp.full(d, 1.0 / d) for _ in range(3))
    run(s0)[0].block_until_ready()  # compile
    start = time.perf_counter()
    x = run(s0)[0].block_until_ready()
    elapsed = time.perf_counter() - start
    return d * steps / elapsed, 0.5 * float(jnp.dot(l, x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=1000)
    p.add_argument("--steps", type=int, default=2000)
    a = p.parse_args()
    lr, mom, batch = 0.05, 0.9, 32.0
    out = {}
    out["numpy_coordinate_steps_per_s"], out["numpy_last_loss"] = numpy_run(a.d, a.steps, lr, mom, batch)
    try:
        out["jax_coordinate_steps_per_s"], out["jax_last_loss"] = jax_run(a.d, a.steps, lr, mom, batch)
    except ImportError:
        out["jax_coordinate_steps_per_s"] = None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
