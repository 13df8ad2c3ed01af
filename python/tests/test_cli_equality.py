"""The bindings and the `momlab` command line give the same numbers, bit for bit.

Floats are compared with `==` (and NaN/None mapped to each other where the CLI prints null): the
CLI's JSON prints every f64 in its shortest round-trip form, so equality here is equality of the
f64 values themselves. `test_csv_round_trips` checks that the CSV output does too.
"""

import csv
import json
import math

import numpy as np
import pytest

import momlab

SPECTRA = [
    "power:d=100,a=1",
    "uniform:d=50,lo=0.01,hi=1",
    "cluster:d=200,lo=0.001,hi=1,frac=0.1",
    "mp:d=40,n=80,seed=3",
]

# (CLI arguments, the same method in Python)
METHODS = [
    (["--method", "sgd", "--lr", "0.5"], lambda: momlab.sgd(0.5)),
    (["--method", "hb", "--lr", "0.5", "--momentum", "0.5"], lambda: momlab.hb(0.5, 0.5)),
    (["--method", "nag", "--lr", "0.3", "--momentum", "0.8"], lambda: momlab.nag(0.3, 0.8)),
    (["--method", "asgd", "--lr", "0.5", "--long-step", "10", "--xi", "2"], lambda: momlab.asgd(0.5, 10, 2)),
    (
        ["--method", "sp", "--lr", "0.5", "--alpha", "0.3", "--beta", "0.9", "--gamma", "2"],
        lambda: momlab.sp(0.5, 0.3, 0.9, 2),
    ),
    (["--method", "hb", "--rule", "harmonic"], lambda: momlab.rule("harmonic")),
    (["--method", "hb", "--rule", "A"], lambda: momlab.rule("A")),
    (["--method", "hb", "--rule", "B"], lambda: momlab.rule("B")),
    (["--method", "sp", "--rule", "sp"], lambda: momlab.rule("sp")),
]


def same(a, b) -> bool:
    """Exact equality of numbers, with None (CLI null) equal to NaN or None."""

    def norm(x):
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else x

    return norm(a) == norm(b)


@pytest.mark.parametrize("spec", SPECTRA)
def test_spectrum_summary(cli, spec):
    assert momlab.Spectrum(spec).summary() == cli.json("spectrum", "--spectrum", spec)


def test_spectrum_from_array_equals_file_spec(cli, tmp_path):
    values = np.random.default_rng(1).uniform(0.0, 2.0, size=300)
    values[:3] = 0.0
    path = tmp_path / "eig.json"
    path.write_text(json.dumps(values.tolist()))  # repr of each float: exact
    from_cli = cli.json("spectrum", "--spectrum", f"file:{path}")
    spectrum = momlab.Spectrum(values)
    assert spectrum.summary() == from_cli
    assert from_cli["dropped_zeros"] == 3
    assert np.array_equal(spectrum.eigenvalues, momlab.Spectrum(f"file:{path}").eigenvalues)


@pytest.mark.parametrize("spec", SPECTRA[:2] + SPECTRA[3:])
@pytest.mark.parametrize("args,make", METHODS, ids=[" ".join(a[1:4]) for a, _ in METHODS])
@pytest.mark.parametrize("batch", ["1", "16", "inf"])
def test_predict(cli, spec, args, make, batch):
    report = cli.json("predict", "--spectrum", spec, "--batch", batch, *args)
    b = math.inf if batch == "inf" else int(batch)
    method = make()
    s = momlab.Spectrum(spec)
    assessed = momlab.assess(s, method, b)
    for key in ("rate", "diverged", "efold", "iterations_asymptotic", "iterations_to_target"):
        assert same(assessed[key], report[key]), key
    assert momlab.rate(s, method, b) == report["rate"]
    assert same(momlab.iterations_to(s, method, b), report["iterations_to_target"])
    picked = method.method(s, b) if isinstance(method, momlab.Rule) else method
    assert picked.params() == report["parameters"]
    assert momlab.predictions(s, b) == {k: report["predicted"][k] for k in report["predicted"]}


@pytest.mark.parametrize("spec", ["power:d=100,a=1", "cluster:d=200,lo=0.001,hi=1,frac=0.1"])
@pytest.mark.parametrize("args,make", METHODS[:3] + METHODS[5:6], ids=["sgd", "hb", "nag", "harmonic"])
def test_loss_curve_is_the_simulate_theory_column(cli, spec, args, make):
    steps = 300
    method = make()
    s = momlab.Spectrum(spec)
    if isinstance(method, momlab.Rule):
        method = method.method(s, 4)
        p = method.params()
        args = ["--method", "hb", "--lr", repr(p["lr"]), "--momentum", repr(p["momentum"])]
    out = cli.json(
        "simulate", "--spectrum", spec, "--batch", "4", "--steps", str(steps), "--runs", "2",
        "--checkpoints", str(steps + 1), *args,
    )
    curve = momlab.loss_curve(s, method, 4, steps)
    assert [r["theory"] for r in out["checkpoints"]] == curve.tolist()
    assert out["theory_rate"] == momlab.rate(s, method, 4)


@pytest.mark.parametrize("objective", ["rate", "target"])
@pytest.mark.parametrize("family", ["sgd", "hb", "nag", "asgd"])
def test_tune(cli, objective, family):
    spec = "power:d=60,a=1.5"
    report = cli.json(
        "predict", "--spectrum", spec, "--method", family, "--batch", "8", "--tune", "--objective", objective
    )
    tuned = momlab.tune(spec, family, 8, objective=objective)
    assert tuned["method"].params() == report["parameters"]
    for key in ("rate", "efold", "iterations_asymptotic", "iterations_to_target", "evaluations"):
        assert same(tuned[key], report[key]), key


@pytest.mark.parametrize(
    "spec,methods,batches,objective",
    [
        ("power:d=100,a=1", "sgd,hb", "1,4,16,64,256", "rate"),
        ("uniform:d=50,lo=0.01,hi=1", "sgd,hb,nag,asgd", "1,8,64", "rate"),
        ("cluster:d=200,lo=0.001,hi=1,frac=0.1", "sgd,hb", "1,16,256", "target"),
    ],
)
def test_phase(cli, spec, methods, batches, objective):
    out = cli.json("phase", "--spectrum", spec, "--methods", methods, "--batches", batches, "--objective", objective)
    table = momlab.phase(spec, methods.split(","), [int(b) for b in batches.split(",")], objective=objective)
    assert len(out["rows"]) == len(table["batch"])
    for i, row in enumerate(out["rows"]):
        for key, value in row.items():
            if key == "method":
                assert table[key][i] == value
            else:
                assert same(float(table[key][i]), None if value is None else float(value)), (i, key)
        assert table.methods[i].family == row["method"]
    assert table.meta["saturation"] == out["saturation"]
    assert table.meta["predicted"] == out["predicted"]
    assert table.meta["spectrum"] == out["spectrum"]


def test_csv_round_trips(cli, tmp_path):
    """The CLI's CSV prints the same f64 values as its JSON (both shortest round-trip)."""
    path = tmp_path / "phase.csv"
    args = ["phase", "--spectrum", "power:d=100,a=1", "--methods", "sgd,hb", "--batches", "1,4,16"]
    out = cli.json(*args, "--csv", str(path))
    with path.open() as f:
        rows = list(csv.DictReader(f))
    for row, expected in zip(rows, out["rows"], strict=True):
        for key, value in expected.items():
            if key != "method":
                assert (float(row[key]) if row[key] else None) == (None if value is None else float(value)), key


SIMULATIONS = [
    (["--spectrum", "power:d=50,a=1"], lambda: momlab.Spectrum("power:d=50,a=1"), "chi2"),
    (["--spectrum", "power:d=50,a=1", "--sampler", "explicit"], lambda: "power:d=50,a=1", "explicit"),
    (
        ["--problem", "kaczmarz", "--system", "gen:n=80,seed=1", "--spectrum", "power:d=20,a=1"],
        lambda: momlab.kaczmarz("gen:n=80,seed=1", spectrum="power:d=20,a=1"),
        "chi2",
    ),
    (
        ["--problem", "cd", "--system", "gen:seed=2", "--spectrum", "uniform:d=10,lo=0.1,hi=1", "--sampling", "without"],
        lambda: momlab.coordinate_descent("gen:seed=2", spectrum="uniform:d=10,lo=0.1,hi=1", sampling="without"),
        "chi2",
    ),
]


@pytest.mark.parametrize("args,make,sampler", SIMULATIONS, ids=["gaussian", "explicit", "kaczmarz", "cd"])
@pytest.mark.parametrize("method_args,method", METHODS[:2] + METHODS[3:4], ids=["sgd", "hb", "asgd"])
def test_simulate(cli, args, make, sampler, method_args, method):
    out = cli.json(
        "simulate", *args, *method_args, "--batch", "4", "--steps", "120", "--runs", "60", "--seed", "9",
        "--checkpoints", "13",
    )
    table = momlab.simulate(make(), method(), 4, 120, runs=60, seed=9, checkpoints=13, sampler=sampler)
    for i, row in enumerate(out["checkpoints"]):
        for key, value in row.items():
            assert table[key][i] == value, (i, key)
    for key, value in out.items():
        if key in ("checkpoints", "sampler", "sampling", "parameters", "method"):
            continue
        mine = table.meta[key]
        if key == "rate_ci":
            mine = list(mine)
        assert mine == value, key
    assert table.meta["method"].params() == out["parameters"]


def test_simulate_system_from_array_equals_csv(cli, tmp_path):
    a = np.random.default_rng(4).normal(size=(40, 6))
    path = tmp_path / "a.csv"
    path.write_text("\n".join(",".join(repr(x) for x in row) for row in a.tolist()))
    for kind, matrix, make in [("kaczmarz", a, momlab.kaczmarz), ("cd", a.T @ a / 40, momlab.coordinate_descent)]:
        if kind == "cd":
            path.write_text("\n".join(",".join(repr(x) for x in row) for row in matrix.tolist()))
        out = cli.json(
            "simulate", "--problem", kind, "--system", str(path), "--method", "hb", "--lr", "0.3", "--momentum",
            "0.5", "--batch", "2", "--steps", "60", "--runs", "30", "--checkpoints", "4",
        )
        table = momlab.simulate(make(matrix), momlab.hb(0.3, 0.5), 2, 60, runs=30, checkpoints=4)
        assert table["mean"].tolist() == [r["mean"] for r in out["checkpoints"]]
        assert table["theory"].tolist() == [r["theory"] for r in out["checkpoints"]]
        assert table.meta["theory_rate"] == out["theory_rate"]
