"""momentum-lab from Python: the exact theory and the Monte-Carlo simulator of mini-batch
momentum methods on Gaussian least squares, NumPy in, NumPy out.

Every number is computed by the same Rust functions as the ``momlab`` command line, so the two
agree bit for bit. Bad input raises ``ValueError`` with the command line's one-line message.
The reference is docs/python.md.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence, Union

import numpy as np

from . import _core
from ._core import (
    FiniteSumProblem,
    Method,
    Rule,
    Spectrum,
    asgd,
    assess,
    coordinate_descent,
    hb,
    iterations_to,
    kaczmarz,
    loss_curve,
    nag,
    predictions,
    rate,
    rule,
    rules,
    sgd,
    sp,
)

__all__ = [
    "FiniteSumProblem",
    "Method",
    "Rule",
    "Spectrum",
    "Table",
    "asgd",
    "assess",
    "coordinate_descent",
    "hb",
    "iterations_to",
    "kaczmarz",
    "loss_curve",
    "nag",
    "phase",
    "predictions",
    "rate",
    "rule",
    "rules",
    "sgd",
    "simulate",
    "sp",
    "tune",
]

#: The batch sizes of ``momlab phase`` when none are given.
DEFAULT_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
#: The methods of ``momlab phase`` when none are given.
DEFAULT_METHODS = ("sgd", "hb", "nag", "asgd")


class Table(dict):
    """Columns by name, each a NumPy array of the same length; missing values are NaN.

    ``meta`` holds the scalars that go with the table (saturation batches, the spectrum's
    summary, fitted rates...), ``methods`` the ``Method`` of each row where rows are tuned, and
    ``frame`` the same columns as a pandas DataFrame (pandas is optional).
    """

    def __init__(self, columns: dict, meta: dict | None = None, methods: list | None = None):
        super().__init__(columns)
        self.meta = dict(meta or {})
        self.methods = list(methods or [])

    @property
    def frame(self):
        """The columns as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas
        except ImportError as e:  # pragma: no cover - exercised only without pandas
            raise ImportError("Table.frame needs pandas: pip install pandas") from e
        return pandas.DataFrame(dict(self))

    def __repr__(self) -> str:
        rows = len(next(iter(self.values()))) if self else 0
        return f"Table({rows} rows: {', '.join(self)})"


def _columns(columns: dict) -> dict:
    """The core's columns with the string ones as NumPy arrays too."""
    return {k: v if isinstance(v, np.ndarray) else np.asarray(v) for k, v in columns.items()}


Batch = Union[int, float]


def tune(
    spectrum,
    method: str,
    batch: Union[Batch, Sequence[Batch], np.ndarray],
    objective: str = "target",
    target: float = 1e-4,
    max_steps: int = 1_000_000,
):
    """Tunes the family ``method`` ("sgd", "hb", "nag", "asgd") at batch size ``batch`` on the
    exact theory, minimising T(target) (``objective="target"``) or the asymptotic rate
    (``"rate"``): the same search as ``momlab predict --tune``.

    With one batch size: a dict with the tuned ``method`` (a ``Method``), ``batch``, ``rate``,
    ``diverged``, ``efold``, ``iterations_asymptotic``, ``iterations_to_target`` and
    ``evaluations``. With a sequence of batch sizes, each is tuned independently and the result is
    a ``Table`` with columns batch, lr, momentum, long_step, xi, rate, efold,
    iterations_asymptotic, iterations_to_target, evaluations (``Table.methods``: the methods).
    """
    if isinstance(batch, (str, bytes)) or np.ndim(batch) == 0:
        batch = batch.item() if isinstance(batch, np.ndarray) else batch
        return _core.tune(spectrum, method, batch, objective, target, max_steps)
    if not isinstance(spectrum, Spectrum):
        spectrum = Spectrum(spectrum)
    points = [_core.tune(spectrum, method, b, objective, target, max_steps) for b in np.asarray(batch).tolist()]
    params = [p["method"].params() for p in points]

    def column(get) -> np.ndarray:
        return np.array([math.nan if v is None else v for v in map(get, range(len(points)))], dtype=float)

    columns = {
        "batch": column(lambda i: points[i]["batch"]),
        "lr": column(lambda i: params[i]["lr"]),
        "momentum": column(lambda i: params[i].get("momentum")),
        "long_step": column(lambda i: params[i].get("long_step")),
        "xi": column(lambda i: params[i].get("xi")),
    }
    for key in ("rate", "efold", "iterations_asymptotic", "iterations_to_target", "evaluations"):
        columns[key] = column(lambda i, key=key: points[i][key])
    return Table(columns, {"objective": objective, "target": target}, [p["method"] for p in points])


def phase(
    spectrum,
    methods: Iterable[str] = DEFAULT_METHODS,
    batches: Iterable[Batch] = DEFAULT_BATCHES,
    objective: str = "rate",
    target: float = 1e-4,
    max_steps: int = 1_000_000,
    exact: bool = True,
) -> Table:
    """The tuned phase diagram over batch sizes, as ``momlab phase --json`` computes it.

    Each family of ``methods`` (names, or one comma-separated string) is tuned along ``batches`` (strictly increasing, finite) with warm
    starts, the families in parallel. Returns a ``Table`` with one row per (method, batch) and the
    CLI CSV's columns: method, batch, lr, momentum, long_step, xi, rate, efold, iterations (T(B)
    under the objective), iterations_asymptotic, iterations_to_target, compute (B·T(B)) and ce
    (1/compute). ``Table.meta``: ``saturation`` (batch per method, None if B·T(B) never doubles),
    ``predicted`` (b_sgd, b_hb), ``objective``, ``target``, ``spectrum`` (the summary).
    ``exact=False`` skips the exact curve under the rate objective (faster).
    """
    if isinstance(methods, str):
        methods = methods.split(",")
    columns, tuned, meta = _core.phase(
        spectrum, list(methods), list(np.asarray(list(batches)).tolist()), objective, target, max_steps, exact
    )
    return Table(_columns(columns), meta, tuned)


def simulate(
    problem,
    method,
    batch: int,
    steps: int,
    runs: int = 1000,
    seed: int = 0,
    checkpoints: int = 51,
    target: float = 1e-4,
    sampler: str = "chi2",
) -> Table:
    """Monte-Carlo runs of ``method`` beside the exact theory, as ``momlab simulate --json``.

    ``problem`` is a ``Spectrum`` (or anything ``Spectrum`` accepts: Gaussian streaming regression,
    gradients drawn by ``sampler``, "chi2" or "explicit") or a ``FiniteSumProblem`` from
    ``kaczmarz(...)`` / ``coordinate_descent(...)``. Run r draws from its own stream seeded by
    (seed, r). Returns a ``Table`` with one row per checkpoint (``checkpoints`` of them, evenly
    spaced over 0..steps): step, alive, mean, se, q10, q50, q90 of the loss and the exact
    ``theory`` E[loss]; ``Table.meta`` has the summary (empirical_rate and its 95 % rate_ci,
    theory_rate, theory_window_rate, final losses, diverged_runs, reached_target, ...).
    """
    columns, meta = _core.simulate(problem, method, batch, steps, runs, seed, checkpoints, target, sampler)
    return Table(columns, meta, [meta["method"]])
