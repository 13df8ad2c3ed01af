# momentum-lab recipes. Install `just` once with `cargo install just --locked` (about 2 min) or
# `pip install rust-just` (prebuilt, seconds). Everything here is also a plain cargo command.

# The test suite (the same command CI runs).
test:
    cargo test --release --workspace

# The main job: the claims' verdict table (profile: smoke | quick | full).
verify profile="quick":
    cargo run --release -- verify --profile {{profile}}

# Regenerates figures/ (figures, report.md, report.json) from the full profile (the sweep's
# cells stay in results/verify-full, so an interrupted run resumes).
figures:
    cargo run --release -- verify --profile full --out results/verify-full
    cp results/verify-full/report.md results/verify-full/report.json results/verify-full/C*-*.png results/verify-full/C*-*.svg figures/

# One claim's figures from the full profile, e.g. `just fig C3`, copied into figures/.
fig NAME:
    cargo run --release -- verify --profile full --only {{NAME}} --out results/fig-{{NAME}}
    cp results/fig-{{NAME}}/{{NAME}}-*.png results/fig-{{NAME}}/{{NAME}}-*.svg figures/

# The tuned phase diagram of one spectrum (docs/theory.md §5).
phase spectrum="power:d=1000,a=1":
    mkdir -p results
    cargo run --release -- phase --spectrum {{spectrum}} --csv results/phase.csv

# Criterion benchmarks: rate evaluation and the 4 x 32 tuned phase diagram at d = 1000; Gaussian
# heavy-ball simulation at d = 1000 against the RNG bound.
bench:
    cargo bench -p momlab-theory
    cargo bench -p momlab-sim

# The simulation benchmark beside its NumPy and JAX peers, as ratios (pip install numpy jax).
bench-peers:
    python3 benches/peers/ratios.py

# Network training steps (flex, ndarray) beside the jitted JAX peer (pip install jax).
bench-nn:
    cargo bench -p momlab-nn --bench step
    python3 benches/peers/mlp_step.py

# On a GPU machine: the network steps and replica batches on wgpu beside flex and ndarray, then
# C9's full profile on wgpu and on flex (f32 both), timed.
bench-gpu:
    cargo bench -p momlab-nn --features wgpu --bench step
    time cargo run --release --features wgpu -- verify --profile full --only C9 --backend wgpu --precision f32 --out results/c9-wgpu --force
    time cargo run --release --features wgpu -- verify --profile full --only C9 --backend flex --precision f32 --out results/c9-flex --force

# The wgpu backend's test on Mesa's software Vulkan (installs mesa-vulkan-drivers if missing).
test-wgpu:
    scripts/test-wgpu.sh

# The Python bindings: venv, pip install ./python, their clippy and rustfmt, pytest.
test-python:
    scripts/test-python.sh

# Copy-paste finder and lints.
lint:
    cargo clippy --release --workspace --all-targets -- -D warnings
    cargo fmt --all --check
