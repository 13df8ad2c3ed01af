"""Times one phase diagram from Python and from the `momlab` CLI, alternating, and prints the
best wall-clock and CPU (user + sys, all threads) time of each and their ratios.

    python python/bench/phase_vs_cli.py [--spectrum SPEC] [--methods sgd,hb,...] [--repeats N]

The CLI is MOMLAB_BIN, else $CARGO_TARGET_DIR/release/momlab, else target/release/momlab. Its
time includes starting the process and printing the JSON (a few milliseconds).
"""

import argparse
import os
import pathlib
import resource
import subprocess
import time

import momlab


def cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spectrum", default="power:d=1000,a=1")
    parser.add_argument("--methods", default="sgd,hb,nag,asgd")
    parser.add_argument("--batches", default="1,2,4,8,16,32,64,128,256,512,1024")
    parser.add_argument("--repeats", type=int, default=5)
    a = parser.parse_args()
    repo = pathlib.Path(__file__).resolve().parents[2]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))
    binary = os.environ.get("MOMLAB_BIN", str(target / "release" / "momlab"))
    command = [binary, "--quiet", "phase", "--spectrum", a.spectrum, "--methods", a.methods, "--batches", a.batches,
               "--json"]
    methods, batches = a.methods.split(","), [int(b) for b in a.batches.split(",")]
    best = {"python": [float("inf")] * 2, "cli": [float("inf")] * 2}
    for _ in range(a.repeats):
        w, c = time.perf_counter(), cpu(resource.RUSAGE_SELF)
        momlab.phase(a.spectrum, methods, batches)
        best["python"] = [min(best["python"][0], time.perf_counter() - w),
                          min(best["python"][1], cpu(resource.RUSAGE_SELF) - c)]
        w, c = time.perf_counter(), cpu(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, capture_output=True)
        best["cli"] = [min(best["cli"][0], time.perf_counter() - w),
                       min(best["cli"][1], cpu(resource.RUSAGE_CHILDREN) - c)]
    for who, (wall, cpu_s) in best.items():
        print(f"{who:<7} wall {wall:.3f} s   cpu {cpu_s:.3f} s   (best of {a.repeats})")
    print(f"python / cli: wall {best['python'][0] / best['cli'][0]:.3f}, cpu {best['python'][1] / best['cli'][1]:.3f}")


if __name__ == "__main__":
    main()
