"""The README's Python example runs as written (matplotlib's Agg backend, in a scratch folder)."""

import os
import pathlib
import re

import matplotlib

matplotlib.use("Agg")

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def python_example() -> str:
    """The first ```python block of the README's "Python" section."""
    text = README.read_text()
    section = text[text.index("\n## Python\n") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs(tmp_path, monkeypatch):
    code = python_example()
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "phase.png").stat().st_size > 1000
    assert os.listdir(tmp_path) == ["phase.png"]
