#!/usr/bin/env bash
# The Python bindings (python/, docs/python.md): a virtual environment at
# ~/.cache/momentum-lab/venv (made when missing), the `momlab` CLI the tests compare with, the
# package built into the venv with the shared cargo target directory (a warm rebuild compiles only
# the bindings), lint of the bindings' crate (its own workspace, outside the root's clippy and
# fmt), then pytest. Its last line is pytest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/momentum-lab/target}"
venv="$HOME/.cache/momentum-lab/venv"
if ! command -v python3 >/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# The venv's tools first on PATH (maturin's build hook runs the `maturin` executable).
export PATH="$venv/bin:$PATH"
pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install maturin numpy pytest pandas matplotlib

# The CLI the tests compare with: in CI the README's test command has just built it (its
# integration tests run it); build it only when it is missing.
if [ ! -x "$CARGO_TARGET_DIR/release/momlab" ]; then
  echo "+ cargo build --release"
  cargo build --release --quiet
fi
echo "+ pip install ./python"
"${pip[@]}" install --no-build-isolation --force-reinstall --no-deps ./python

# The environment maturin builds with, so that clippy reuses pyo3's build-script output.
export PYO3_PYTHON="$venv/bin/python" PYO3_BUILD_EXTENSION_MODULE=1
echo "+ cargo clippy --manifest-path python/Cargo.toml --release --all-targets -- -D warnings"
cargo clippy --manifest-path python/Cargo.toml --release --all-targets --quiet -- -D warnings
echo "+ cargo fmt --manifest-path python/Cargo.toml --check"
cargo fmt --manifest-path python/Cargo.toml --check

echo "+ pytest python/tests"
export MOMLAB_BIN="$CARGO_TARGET_DIR/release/momlab"
# The pytest script, not `python -m pytest`: the working directory must not shadow the installed
# package with the sources in python/momlab (which hold no compiled core).
exec "$venv/bin/pytest" -q -p no:cacheprovider python/tests
