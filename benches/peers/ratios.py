"""The simulation and exact-recursion performance goals in one run: runs the criterion benchmarks
crates/sim/benches/gaussian.rs and crates/theory/benches/dynamics.rs and their NumPy/JAX peers
(gaussian_hb.py, exact_hb.py), then prints every ratio with its goal.

    python3 benches/peers/ratios.py          (from the repository root; needs numpy and jax)
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def per_second(bench):
    """Elements per second (mean) of one criterion benchmark."""
    base = os.path.join(TARGET, "criterion", bench, "new")
    elements = json.load(open(os.path.join(base, "benchmark.json")))["throughput"]["Elements"]
    nanos = json.load(open(os.path.join(base, "estimates.json")))["mean"]["point_estimate"]
    return elements / (nanos * 1e-9)


def main():
    subprocess.run(["cargo", "bench", "-p", "momlab-sim", "--bench", "gaussian"], cwd=ROOT, check=True)
    peers = subprocess.run([sys.executable, os.path.join(ROOT, "benches", "peers", "gaussian_hb.py")],
                           cwd=ROOT, check=True, capture_output=True, text=True)
    peers = json.loads(peers.stdout)
    d = 1000
    normals = per_second("rng/standard_normal")
    rows = []
    for b in (32, 1024):
        explicit = per_second(f"gaussian_hb_d1000/Explicit_B={b}")
        chi2 = per_second(f"gaussian_hb_d1000/ChiSquare_B={b}")
        bound = normals / (b * d)
        rows.append((f"B={b}: explicit / RNG bound ({explicit:.0f} / {bound:.0f} steps/s)", explicit / bound, ">= 0.7"))
        rows.append((f"B={b}: chi2 / explicit ({chi2:.0f} / {explicit:.0f} steps/s)", chi2 / explicit, f">= {b / 2:g}"))
    best_name, best = max((("numpy", peers["numpy_steps_per_s"]), ("jax", peers["jax_steps_per_s"])),
                          key=lambda kv: kv[1])
    ens_explicit = per_second("ensemble_b32/Explicit")
    ens_chi2 = per_second("ensemble_b32/ChiSquare")
    rows.append((f"B=32 ensemble: explicit / {best_name} ({ens_explicit:.0f} / {best:.0f} steps/s)",
                 ens_explicit / best, ">= 3"))
    rows.append((f"B=32 ensemble: chi2 / {best_name} ({ens_chi2:.0f} / {best:.0f} steps/s)",
                 ens_chi2 / best, ">= 50"))
    subprocess.run(["cargo", "bench", "-p", "momlab-theory", "--bench", "dynamics"], cwd=ROOT, check=True)
    exact = json.loads(subprocess.run([sys.executable, os.path.join(ROOT, "benches", "peers", "exact_hb.py")],
                                      cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    ours = per_second("exact_hb_d1000/loss_curve_2000")
    candidates = [("numpy", exact["numpy_coordinate_steps_per_s"]), ("jax", exact["jax_coordinate_steps_per_s"])]
    peer_name, peer = max(((n, v) for n, v in candidates if v), key=lambda kv: kv[1])
    rows.append((f"exact HB recursion d=1000: momlab / {peer_name} ({ours:.3g} / {peer:.3g} coordinate-steps/s)",
                 ours / peer, ">= 1"))
    print(f"numpy {peers['numpy_steps_per_s']:.0f} steps/s, jax {peers['jax_steps_per_s']:.0f} steps/s")
    for name, ratio, goal in rows:
        print(f"{name:70s} {ratio:9.2f}  goal {goal}")


if __name__ == "__main__":
    main()
