"""Shared fixtures: the `momlab` command line the bindings are compared with."""

import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _binary() -> pathlib.Path:
    """MOMLAB_BIN, else $CARGO_TARGET_DIR/release/momlab, else the repository's target/."""
    if "MOMLAB_BIN" in os.environ:
        return pathlib.Path(os.environ["MOMLAB_BIN"])
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "momlab"


class Cli:
    """Runs the `momlab` binary; numbers come back through its JSON output, whose floats are
    printed shortest-round-trip (serde_json with ryu), so they parse to the exact f64."""

    def __init__(self, path: pathlib.Path):
        self.path = path

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.path), "--quiet", *args], capture_output=True, text=True, check=False)

    def json(self, *args: str):
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def error(self, *args: str) -> str:
        """The one-line message of a failing command, without its `error: ` prefix."""
        done = self.run(*args)
        assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        return lines[0].removeprefix("error: ")


@pytest.fixture(scope="session")
def cli() -> Cli:
    path = _binary()
    if not path.is_file():
        pytest.fail(f"the momlab binary is not at {path}: run `cargo build --release` or set MOMLAB_BIN")
    return Cli(path)
