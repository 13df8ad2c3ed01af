"""JAX peer of crates/nn/benches/step.rs: one jitted training step (forward, backward, heavy-ball
update) of the same tanh MLPs in f32 on the CPU, timed as the median of repeated blocks.

    python3 benches/peers/mlp_step.py      -> JSON: seconds per step for each network, and
                                              replica-steps per second of R stacked students

Networks: the teacher–student student 4-12-1 on 24 rows (full batch) and a 784-256-256-10 MLP at
batch 128; loss 1/(2B) sum (f(x) - y)^2; update v <- 0.9 v - 0.01 g, w <- w + v (heavy ball,
the same arithmetic as theory's template for HB).

Replicas: `jax.vmap` of the student's step over R = 1 ... 4096 replicas with their own learning
rates 0.01 (1 + r/R), the losses read back every 16 steps (as crates/nn/benches/step.rs does).
"""

import json
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def init(key, widths):
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        key, sub = jax.random.split(key)
        params.append((jax.random.normal(sub, (fan_in, fan_out), jnp.float32) / jnp.sqrt(fan_in),
                       jnp.zeros((fan_out,), jnp.float32)))
    return params


def forward(params, x):
    h = x
    for w, b in params[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = params[-1]
    return h @ w + b


def loss(params, x, y):
    return jnp.sum((forward(params, x) - y) ** 2) / (2.0 * x.shape[0])


@jax.jit
def step(params, velocity, x, y):
    value, grads = jax.value_and_grad(loss)(params, x, y)
    velocity = jax.tree_util.tree_map(lambda v, g: 0.9 * v - 0.01 * g, velocity, grads)
    params = jax.tree_util.tree_map(lambda p, v: p + v, params, velocity)
    return params, velocity, value


def seconds_per_step(widths, rows, blocks=15, per_block=None):
    key = jax.random.PRNGKey(0)
    params = init(key, widths)
    velocity = jax.tree_util.tree_map(jnp.zeros_like, params)
    x = jax.random.normal(jax.random.PRNGKey(1), (rows, widths[0]), jnp.float32)
    y = jax.random.normal(jax.random.PRNGKey(2), (rows, widths[-1]), jnp.float32)
    params, velocity, value = step(params, velocity, x, y)  # compile
    value.block_until_ready()
    # Enough steps per block for ~50 ms.
    if per_block is None:
        t0 = time.perf_counter()
        for _ in range(10):
            params, velocity, value = step(params, velocity, x, y)
        float(value)
        per_block = max(10, int(0.05 / ((time.perf_counter() - t0) / 10)))
    times = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(per_block):
            params, velocity, value = step(params, velocity, x, y)
            float(value)  # read the loss back each step, as the Burn benchmark does
        times.append((time.perf_counter() - t0) / per_block)
    times.sort()
    return times[len(times) // 2]


@jax.jit
def replica_step(params, velocity, lr, x, y):
    def one(p, v, eta):
        value, grads = jax.value_and_grad(loss)(p, x, y)
        v = jax.tree_util.tree_map(lambda v, g: 0.9 * v - eta * g, v, grads)
        return jax.tree_util.tree_map(lambda p, v: p + v, p, v), v, value
    return jax.vmap(one)(params, velocity, lr)


def replica_steps_per_second(replicas, widths=(4, 12, 1), rows=24, blocks=7):
    keys = jax.random.split(jax.random.PRNGKey(0), replicas)
    params = jax.vmap(lambda k: init(k, list(widths)))(keys)
    velocity = jax.tree_util.tree_map(jnp.zeros_like, params)
    lr = 0.01 * (1.0 + jnp.arange(replicas, dtype=jnp.float32) / replicas)
    x = jax.random.normal(jax.random.PRNGKey(1), (rows, widths[0]), jnp.float32)
    y = jax.random.normal(jax.random.PRNGKey(2), (rows, widths[-1]), jnp.float32)
    params, velocity, value = replica_step(params, velocity, lr, x, y)  # compile
    value.block_until_ready()
    times = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        values = []
        for _ in range(16):
            params, velocity, value = replica_step(params, velocity, lr, x, y)
            values.append(value)
        jnp.stack(values).block_until_ready()
        times.append(time.perf_counter() - t0)
    times.sort()
    return 16 * replicas / times[len(times) // 2]


def main():
    print(json.dumps({
        "jax_version": jax.__version__,
        "teacher_student": seconds_per_step([4, 12, 1], 24),
        "mlp_784_256_256_10_b128": seconds_per_step([784, 256, 256, 10], 128),
        "replica_steps_per_second": {r: replica_steps_per_second(r) for r in [1, 4, 16, 64, 256, 1024, 4096]},
    }))


if __name__ == "__main__":
    main()
