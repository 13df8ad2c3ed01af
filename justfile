# momentum-lab recipes. Install `just` once with `cargo install just --locked` (about 2 min) or
# `pip install rust-just` (prebuilt, seconds). Everything here is also a plain cargo command.

# The test suite (the same command CI runs).
test:
    cargo test --release --workspace

# The main job today: the tuned phase diagram of the sanity spectrum (THEORY.md §5).
phase spectrum="power:d=1000,a=1":
    mkdir -p results
    cargo run --release -- phase --spectrum {{spectrum}} --csv results/phase.csv

# Criterion benchmarks (rate evaluation at d = 1000; 4 x 32 tuned phase diagram at d = 1000).
bench:
    cargo bench -p momlab-theory

# Copy-paste finder and lints.
lint:
    cargo clippy --release --workspace --all-targets -- -D warnings
    cargo fmt --all --check
